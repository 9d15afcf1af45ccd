-- Who accessed which patient record, when, how, and with what outcome. No PHI: ids,
-- roles, the action and the parameter names of a search, never their values.
-- Append-only: no UPDATE, DELETE or TRUNCATE gets through (triggers refuse them).
CREATE TABLE audit_events (
    audit_id uuid PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    request_id text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 128),
    actor_id text CHECK (length(actor_id) BETWEEN 1 AND 128),
    actor_roles text[] NOT NULL DEFAULT '{}',
    actor_org text CHECK (length(actor_org) BETWEEN 1 AND 64),
    action text NOT NULL
        CHECK (action IN ('read', 'search', 'create', 'update', 'delete', 'read-audit')),
    patient_id uuid,
    patient_ids uuid[] NOT NULL DEFAULT '{}',
    outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    status smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
    query_params text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, occurred_at, audit_id);
CREATE INDEX audit_events_by_patients ON audit_events USING gin (patient_ids);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
