"""Typed page parameters. Ids are bounded to what their column holds, so an absurd id in a
URL or form is a 400 page, never a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query

from zentail.storage.models import MAX_ROW_ID

AccountQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
AccountForm = Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
