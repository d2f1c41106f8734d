"""Connect Service products (spec §3): ``/connect-service/v2.1/products?action=``."""

from __future__ import annotations

from .._routes import route
from ._errors import EnosError
from ._model import Org, Product
from ._schemas import (
    CreateProduct,
    Page,
    ProductCall,
    ProductRecord,
    SearchProducts,
    UnknownAction,
    UpdateProduct,
    paging,
    unknown_action,
)
from ._search import PRODUCT_FIELDS, product_record
from ._service import EnosService

E = EnosError
PRODUCTS = "/connect-service/{version}/products"
V21 = ("v2.1",)
#: every action accepts GET and POST: the official client sends GET for delete/enable/disable.
ANY = ("GET", "POST")


class ProductRoutes(EnosService):
    """Create, get, search, update and delete products."""

    @route(ANY, PRODUCTS, versions=V21, query={"action": "create"}, auth="org")
    def _create_product(self, org: Org, req: CreateProduct) -> str:
        """Create a product; ``data`` is the new productKey."""
        return self._new_product(
            org,
            req.product_name.wire(),
            model_id=req.model_id,
            data_format=req.data_format,
            product_type=req.product_type,
            bi_directional_auth=req.bi_directional_auth,
            dynamic_activate=bool(req.dynamic_activate_enabled),
            desc=req.product_desc,
            tags=req.product_tags,
            default_valid_day=req.default_valid_day,
            max_valid_day=req.max_valid_day,
        )

    @route(ANY, PRODUCTS, versions=V21, query={"action": "get"}, auth="org")
    def _get_product(self, org: Org, req: ProductCall) -> ProductRecord:
        """One product, with its productSecret in clear text (v2.1)."""
        return self._product(org, req.product_key, E.PRODUCT_NOT_FOUND).wire()  # type: ignore[return-value]

    @route(ANY, PRODUCTS, versions=V21, query={"action": "search"}, auth="org")
    def _search_product(self, org: Org, req: SearchProducts) -> Page:
        """Products matching an expression, newest first, paged."""
        predicate = self._predicate(req.expression, PRODUCT_FIELDS)
        page_no, page_size = paging(req.pagination, self.platform.settings.enos_page_size_above_max)
        pool: list[Product] = list(reversed(org.products.values()))
        if predicate is not None:
            pool = [p for p in pool if predicate(product_record(p))]
        first = (page_no - 1) * page_size
        data = [p.wire() for p in pool[first : first + page_size]]
        return Page(data, page_no, page_size, len(pool))

    @route(ANY, PRODUCTS, versions=V21, query={"action": "update"}, auth="org")
    def _update_product(self, org: Org, req: UpdateProduct) -> str:
        """Change a product's name, description, tags, auth flags (patch semantics)."""
        product = self._product(org, req.product_key, E.PRODUCT_NOT_FOUND)
        self._patch_product(
            org,
            product,
            name=None if req.product_name is None else req.product_name.patch(product.name),
            desc=req.product_desc,
            bi_directional_auth=req.bi_directional_auth,
            dynamic_activate=req.dynamic_activate_enabled,
            tags=req.product_tags,
            default_valid_day=req.default_valid_day,
            max_valid_day=req.max_valid_day,
        )
        return product.product_key

    @route(ANY, PRODUCTS, versions=V21, query={"action": "delete"}, auth="org")
    def _delete_product(self, org: Org, req: ProductCall) -> str:
        """Delete a product that has no devices."""
        product = self._product(org, req.product_key, E.NOT_FOUND)
        self._remove_product(org, product)
        return product.product_key

    @route(ANY, PRODUCTS, versions=V21, auth="org")
    def _product_action_unknown(self, org: Org, req: UnknownAction) -> None:
        """A missing or unknown ``action`` on products: 99400."""
        unknown_action(req.action)
