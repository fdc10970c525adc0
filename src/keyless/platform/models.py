"""The tables. Domain objects keep Azure's JSON shape in `data`; indexed columns are for lookups."""

from __future__ import annotations

from sqlalchemy import JSON, Float, Index, LargeBinary, MetaData, String, Text
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
