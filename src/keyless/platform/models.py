"""The tables. Domain objects keep Azure's JSON shape in `data`; indexed columns are for lookups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class InstanceSetting(Base):
    """Facts made once per data dir: tenant id, subscription id, the admin application."""

    __tablename__ = "instance_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(36), unique=True)
    display_name: Mapped[str] = mapped_column(String(256), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)


class ServicePrincipal(Base):
    __tablename__ = "service_principals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(36), unique=True)
    display_name: Mapped[str] = mapped_column(String(256), index=True)
    sp_type: Mapped[str] = mapped_column(String(32))
    # For a managed identity: the lower-cased ARM id of the user-assigned identity or of the host
    # resource of a system-assigned one.
    mi_resource_key: Mapped[str | None] = mapped_column(String(1024), unique=True, nullable=True)
    data: Mapped[dict] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)


class AppRoleAssignment(Base):
    __tablename__ = "app_role_assignments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    app_role_id: Mapped[str] = mapped_column(String(36))
    data: Mapped[dict] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_assignment_unique", "principal_id", "resource_id", "app_role_id", unique=True),)


class PasswordCredential(Base):
    """A client secret: only its SHA-256 is kept; Graph shows `hint` and never the secret again."""

    __tablename__ = "password_credentials"
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    data: Mapped[dict] = mapped_column(JSON)


class SigningKey(Base):
    """Token signing keys. `state`: next (published, not signing), active (signing), retired."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    created: Mapped[float] = mapped_column(Float)
    # When a retired key may leave the JWKS: the expiry of the last token it signed.
    unpublish_after: Mapped[float | None] = mapped_column(Float, nullable=True)


class IdentityHost(Base):
    """A resource that hosts managed identities and has its own token endpoints."""

    __tablename__ = "identity_hosts"
    host_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_key: Mapped[str] = mapped_column(String(1024), unique=True)
    resource_id: Mapped[str] = mapped_column(String(1024))
    secret: Mapped[str] = mapped_column(String(128))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)


class ArmResource(Base):
    """Every ARM resource, keyed by its lower-cased id; `body` is what GET returns."""

    __tablename__ = "arm_resources"
    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    parent_key: Mapped[str] = mapped_column(String(1024), index=True)
    type: Mapped[str] = mapped_column(String(256), index=True)
    resource_group_key: Mapped[str | None] = mapped_column(String(1024), index=True, nullable=True)
    body: Mapped[dict] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)


class WorkflowVersionRow(Base):
    """A Logic Apps workflow's definition as of one change; runs read the version they started on."""

    __tablename__ = "workflow_versions"
    workflow_key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # lower-cased ARM id
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    definition: Mapped[dict] = mapped_column(JSON)
    parameters: Mapped[dict] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)


class WorkflowRunRow(Base):
    """One workflow run; its trigger record is the trigger history (same name as the run).
    Run names sort newest first, so listing is the primary key in ascending order."""

    __tablename__ = "workflow_runs"
    workflow_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    run_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(1024))  # the ARM id as first written (for recovery)
    version: Mapped[str] = mapped_column(String(32))
    trigger_name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    start_time: Mapped[str] = mapped_column(String(40))
    end_time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    client_tracking_id: Mapped[str] = mapped_column(Text)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    outputs: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    trigger: Mapped[dict] = mapped_column(JSON)
    response_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    variables: Mapped[dict] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        Index("ix_workflow_runs_status", "status"),
        Index("ix_workflow_runs_workflow_status", "workflow_key", "status", "run_name"),
    )


class WorkflowRunActionRow(Base):
    """One action execution of a run, keyed by `ActionRecord.key` (name plus repetition indexes)."""

    __tablename__ = "workflow_run_actions"
    workflow_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    run_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    repetition: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    start_time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    end_time: Mapped[str | None] = mapped_column(String(40), nullable=True)
    inputs: Mapped[Any] = mapped_column(JSON, nullable=True)
    outputs: Mapped[Any] = mapped_column(JSON, nullable=True)
    has_inputs: Mapped[bool] = mapped_column(Boolean, default=False)
    has_outputs: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    tracking_id: Mapped[str] = mapped_column(String(64))
    client_tracking_id: Mapped[str] = mapped_column(Text)
    retry_history: Mapped[list | None] = mapped_column(JSON, nullable=True)
    iteration_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tracked_properties: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    __table_args__ = (Index("ix_workflow_run_actions_by_name", "workflow_key", "run_name", "name"),)


class WorkflowKeyRow(Base):
    """A workflow's SAS access keys (callback URLs and content links); kept so signed URLs survive restarts."""

    __tablename__ = "workflow_keys"
    workflow_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(1024))
    # The 32-hex id in the workflow's access endpoint and callback URLs (`/workflows/<endpoint_id>/triggers/...`).
    endpoint_id: Mapped[str] = mapped_column(String(32), unique=True)
    primary: Mapped[bytes] = mapped_column(LargeBinary(32))
    secondary: Mapped[bytes] = mapped_column(LargeBinary(32))
    created: Mapped[float] = mapped_column(Float)


class WorkflowOccurrenceRow(Base):
    """A Recurrence occurrence that fired: keyless processes sharing PostgreSQL each schedule the workflows they
    know, and the first to insert an occurrence fires it (the others see the key taken)."""

    __tablename__ = "workflow_occurrences"
    workflow_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    trigger_name: Mapped[str] = mapped_column(String(80), primary_key=True)
    scheduled_time: Mapped[str] = mapped_column(String(40), primary_key=True)
    created: Mapped[float] = mapped_column(Float)
