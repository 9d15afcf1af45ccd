"""IAM, evaluated locally: who calls the AWS endpoint and whether AWS would let them.

    credentials     each function's access keys (derived from its ARN)
    request         IamRequest: an action on a resource, with condition keys
    wildcards       * and ? in actions (any case) and ARNs (part by part)
    conditions      the condition operators (String*, Arn*, Bool, Numeric*, Date*, ...)
    policy          policy documents -> statements
    evaluate        explicit deny > allow > implicit deny; cached per principal
    sam_templates   SAM's policy templates, from aws-sam-translator
    managed         AWS managed policies, shipped as data
    sources         a function's policies, read from the template
    identities      access key -> function, principal and policies
    suggest         the smallest Policies entry that allows what was seen
    journal         the calls seen, kept under the state directory

Pure except ``journal``; the AWS endpoint applies it (``aws/dispatch/iam_check.py``).
"""
