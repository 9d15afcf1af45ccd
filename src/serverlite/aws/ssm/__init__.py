"""SSM Parameter Store: PutParameter, GetParameter(s), GetParametersByPath,
DeleteParameter(s), DescribeParameters, GetParameterHistory, LabelParameterVersion.

    names       name, path, selector and label rules
    values      types, tiers and size limits, data types, allowed patterns
    filters     ParameterFilters / Filters and NextToken
    records     a stored parameter version
    store       SQLite (WAL): versions, labels, template fingerprints
    operations  the API, one method per operation
    service     the backend: endpoint and AWS::SSM::Parameter provisioning
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import SsmService

    return SsmService(context)
