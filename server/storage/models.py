"""The tables: a design row holds the head version; every saved version is kept whole."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Design(Base):
    """One design; `version` is the head that a save must name as its base (optimistic locking)."""

    __tablename__ = "designs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    params: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class DesignVersion(Base):
    """A saved graph, never changed after it is written."""

    __tablename__ = "design_versions"
    design_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    params: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    graph: Mapped[dict[str, object]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DesignWeights(Base):
    """Uploaded weights as safetensors bytes, checked against design version `version`."""

    __tablename__ = "design_weights"
    design_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    tensors: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
