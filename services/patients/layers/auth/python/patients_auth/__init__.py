"""The auth layer: who is calling (token claims) and what they may do (per object).

principal  token claims (as API Gateway hands them over) -> Principal
policy     function-level and object-level rules (OWASP API1 and API5)
"""
