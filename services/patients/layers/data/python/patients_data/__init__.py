"""The data layer: PostgreSQL through psycopg 3.

connection  credentials from Secrets Manager, one connection per warm environment
migrations  the schema's SQL files, and applying them (the deploy-time custom resource)
"""
