"""``/v1/listing``: product listings, paged, and one by id (zentail-api.md §4.6).

Field names are Zentail's, snake_case here as its listing reference spells them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from zentail.api import paging, query, timestamps
from zentail.api.auth import ApiContext, require_scope
from zentail.api.errors import problem_responses
from zentail.api.query import Timestamp
from zentail.domain import listings
from zentail.domain.errors import NotFound
from zentail.storage.models import Listing, Product

router = APIRouter(
    prefix="/v1/listing",
    tags=["Listings"],
    responses=problem_responses(400, 401, 403, 429, 503),
)


class Image(BaseModel):
    url: str
    hash: str | None = None


class Prop65(BaseModel):
    required: bool
    type: str | None = None
    chemicals: list[str] = Field(default_factory=list)


class Variant(BaseModel):
    sku: str
    available_inventory: int = Field(description="Available units over all warehouses")


class ListingOut(BaseModel):
    id: str = Field(description="The listing's id (path parameter of GET /v1/listing/{listingid})")
    sku: str
    title: str
    description: str
    tags: str
    category: str | None
    created_at: Timestamp
    updated_at: Timestamp
    pivot_attributes: list[str]
    primary_image: Image | None
    cpsia_warnings: dict[str, bool]
    prop65: Prop65 | None
    variants: list[Variant]


def render_listing(listing: Listing) -> ListingOut:
    return ListingOut(
        id=str(listing.id),
        sku=listing.sku,
        title=listing.title,
        description=listing.description,
        tags=listing.tags,
        category=listing.category,
        created_at=timestamps.render(listing.created_at),
        updated_at=timestamps.render(listing.updated_at),
        pivot_attributes=list(listing.pivot_attributes),
        primary_image=Image(**listing.primary_image) if listing.primary_image else None,
        cpsia_warnings=dict(listing.cpsia_warnings),
        prop65=Prop65(**listing.prop65) if listing.prop65 else None,
        variants=[render_variant(product) for product in listing.variants],
    )


def render_variant(product: Product) -> Variant:
    return Variant(sku=product.sku, available_inventory=listings.available(product))


def listing_filter(params: Mapping[str, Any]) -> listings.ListingFilter:
    return listings.ListingFilter(
        skus=query.split_list(params.get("skus"), "skus"),
        updated_from=query.timestamp(params.get("lastUpdateTs"), "lastUpdateTs"),
    )


@router.get("", response_model=paging.Page[ListingOut], summary="List listings")
def list_listings(
    request: Request,
    ctx: Annotated[ApiContext, require_scope("listing:read")],
    lastUpdateTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT,
            description="Listings updated at or after this time (inclusive; see docs/api.md)",
        ),
    ] = None,
    lastUpdatedTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT, description="Another spelling of lastUpdateTs"
        ),
    ] = None,
    skus: Annotated[
        str | None,
        Query(
            description="Comma-separated SKUs: listings with this SKU or a variant with it",
            pattern=query.NO_CONTROL_CHARS,
        ),
    ] = None,
    pageLength: paging.PageLengthQuery = None,  # noqa: N803
    nextToken: paging.NextTokenQuery = None,  # noqa: N803
) -> paging.Page[ListingOut]:
    """Listings by last update, oldest first, in pages."""
    page = paging.begin(
        request,
        next_token=nextToken,
        page_length_value=pageLength,
        query={
            "lastUpdateTs": query.last_updated(
                lastUpdateTs, lastUpdatedTs, names=("lastUpdateTs", "lastUpdatedTs")
            ),
            "skus": skus,
        },
    )
    rows = listings.list_listings(
        ctx.scope,
        listing_filter(page.query),
        after=paging.time_cursor(page),
        limit=page.limit + 1,
    )
    return paging.respond(
        request,
        page,
        rows,
        cursor=lambda listing: paging.time_key(listing.updated_at, listing.id),
        render=render_listing,
    )


@router.get(
    "/{listingid}",
    response_model=ListingOut,
    summary="Get one listing",
    responses=problem_responses(404),
)
def get_listing(
    listingid: Annotated[str, Path(description="The listing's id", max_length=200)],
    ctx: Annotated[ApiContext, require_scope("listing:read")],
) -> ListingOut:
    """One listing with its variants."""
    if not listingid.isascii() or not listingid.isdigit() or int(listingid) > query.MAX_ID:
        raise NotFound(f"No listing {listingid!r}")
    return render_listing(listings.get_listing(ctx.scope, int(listingid)))
