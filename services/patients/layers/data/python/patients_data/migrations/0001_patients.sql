-- Patient records (FHIR R4 Patient). The resource as the client sent it (validated)
-- is kept in content; the columns beside it are what searches and authorization use.
CREATE TABLE patients (
    id uuid PRIMARY KEY,
    organization text NOT NULL CHECK (organization ~ '^[A-Za-z0-9._:-]{1,64}$'),
    user_id text CHECK (user_id ~ '^[A-Za-z0-9._@:|+-]{1,128}$'),
    version integer NOT NULL CHECK (version >= 1),
    active boolean,
    gender text CHECK (gender IN ('male', 'female', 'other', 'unknown')),
    birth_date_low date,
    birth_date_high date,
    family_names text[] NOT NULL DEFAULT '{}',
    given_names text[] NOT NULL DEFAULT '{}',
    content jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT patients_content_is_patient CHECK (
        jsonb_typeof(content) = 'object'
        AND content ->> 'resourceType' = 'Patient'
        AND NOT content ? 'id'
        AND NOT content ? 'meta'
    ),
    CONSTRAINT patients_content_size CHECK (octet_length(content::text) <= 65536),
    CONSTRAINT patients_birth_date_range CHECK (
        (birth_date_low IS NULL) = (birth_date_high IS NULL)
        AND birth_date_low <= birth_date_high
    ),
    CONSTRAINT patients_times CHECK (
        updated_at >= created_at AND (deleted_at IS NULL OR deleted_at >= created_at)
    )
);

-- A user account is linked to at most one live patient record.
CREATE UNIQUE INDEX patients_user_link ON patients (user_id)
    WHERE user_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX patients_by_organization ON patients (organization, id) WHERE deleted_at IS NULL;

-- The identifiers of live records: unique within an organization per system.
CREATE TABLE patient_identifiers (
    patient_id uuid NOT NULL REFERENCES patients (id),
    organization text NOT NULL,
    system text NOT NULL CHECK (length(system) <= 2048),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    PRIMARY KEY (patient_id, system, value)
);
CREATE UNIQUE INDEX patient_identifiers_unique ON patient_identifiers (organization, system, value)
    WHERE system <> '';
CREATE INDEX patient_identifiers_by_value ON patient_identifiers (value);
