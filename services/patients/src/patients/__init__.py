"""patients (seed 000): patient records as FHIR R4 Patient resources, on PostgreSQL."""
