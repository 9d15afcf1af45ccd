-- Every version of every patient record, for FHIR R4's vread
-- (GET [base]/patients/[id]/_history/[vid]): the Location a create answers names the
-- first one. content is NULL for the version that deleted the record (410 to a vread).
-- Written in the same transaction as the change to patients; never changed after.
CREATE TABLE patient_versions (
    patient_id uuid NOT NULL REFERENCES patients (id),
    version integer NOT NULL CHECK (version >= 1),
    content jsonb CHECK (content IS NULL OR content ->> 'resourceType' = 'Patient'),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (patient_id, version)
);

-- Records written before this table existed keep their current version.
INSERT INTO patient_versions (patient_id, version, content, updated_at)
SELECT id, version, CASE WHEN deleted_at IS NULL THEN content END, updated_at FROM patients;

ALTER TABLE audit_events DROP CONSTRAINT audit_events_action_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_action_check CHECK (
    action IN ('read', 'vread', 'search', 'create', 'update', 'delete', 'read-audit')
);
