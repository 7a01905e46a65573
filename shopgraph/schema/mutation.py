"""The Mutation root: every field delegates to a resolver; permissions are declared here."""

import strawberry

from shopgraph.resolvers import (
    accounts,
    addresses,
    carts,
    catalog_admin,
    checkout,
    discounts,
    images,
    orders,
    profile,
    recovery,
    shipping,
    tax_rates,
)
from shopgraph.schema.permissions import IsAdmin, IsAuthenticated


@strawberry.type
class Mutation:
    register = strawberry.field(
        resolver=accounts.register, description="Create a customer account and log in."
    )
    login = strawberry.field(resolver=accounts.login)
    refresh_token = strawberry.field(
        resolver=accounts.refresh_token,
        description="Trade a refresh token for new tokens; the old one stops working.",
    )
    logout = strawberry.field(
        resolver=accounts.logout, description="End the session of this refresh token."
    )
    change_password = strawberry.field(
        resolver=profile.change_password,
        permission_classes=[IsAuthenticated],
        description="Also logs out every other session.",
    )
    update_profile = strawberry.field(
        resolver=profile.update_profile, permission_classes=[IsAuthenticated]
    )
    request_password_reset = strawberry.field(
        resolver=recovery.request_password_reset,
        description="Emails a one-time reset code if the address has an account; always ok.",
    )
    reset_password = strawberry.field(
        resolver=recovery.reset_password,
        description="Sets a new password with an emailed reset code; logs out every session.",
    )
    request_email_verification = strawberry.field(
        resolver=recovery.request_email_verification,
        permission_classes=[IsAuthenticated],
        description="Emails a one-time code that confirms the account's address.",
    )
    verify_email = strawberry.field(
        resolver=recovery.verify_email,
        description="Confirms the account's email address with an emailed code.",
    )
    create_product = strawberry.field(
        resolver=catalog_admin.create_product, permission_classes=[IsAdmin]
    )
    update_product = strawberry.field(
        resolver=catalog_admin.update_product, permission_classes=[IsAdmin]
    )
    delete_product = strawberry.field(
        resolver=catalog_admin.delete_product, permission_classes=[IsAdmin]
    )
    adjust_stock = strawberry.field(
        resolver=catalog_admin.adjust_stock,
        permission_classes=[IsAdmin],
        description="Add (positive delta) or remove units of a variant, or of a product "
        "that has one; never below zero.",
    )
    create_variant = strawberry.field(
        resolver=catalog_admin.create_variant, permission_classes=[IsAdmin]
    )
    update_variant = strawberry.field(
        resolver=catalog_admin.update_variant, permission_classes=[IsAdmin]
    )
    delete_variant = strawberry.field(
        resolver=catalog_admin.delete_variant,
        permission_classes=[IsAdmin],
        description="Its stock leaves with it; a product keeps at least one variant.",
    )
    upload_product_image = strawberry.field(
        resolver=images.upload_product_image,
        permission_classes=[IsAdmin],
        description="Add an image to a product: a multipart request (the GraphQL multipart "
        "request specification) with an `Apollo-Require-Preflight` header.",
    )
    update_product_image = strawberry.field(
        resolver=images.update_product_image, permission_classes=[IsAdmin]
    )
    delete_product_image = strawberry.field(
        resolver=images.delete_product_image, permission_classes=[IsAdmin]
    )
    set_variant_image = strawberry.field(
        resolver=images.set_variant_image,
        permission_classes=[IsAdmin],
        description="Show one of its product's images for a variant, or none.",
    )
    place_order = strawberry.field(
        resolver=orders.place_order,
        permission_classes=[IsAuthenticated],
        description="Takes the stock of every line or none, and holds it until paid.",
    )
    # Logged in, or a guest with their order's token: the resolvers check which.
    pay_order = strawberry.field(resolver=orders.pay_order)
    cancel_order = strawberry.field(resolver=orders.cancel_order)
    update_order_status = strawberry.field(
        resolver=orders.update_order_status, permission_classes=[IsAdmin]
    )
    create_shipping_method = strawberry.field(
        resolver=shipping.create_shipping_method, permission_classes=[IsAdmin]
    )
    update_shipping_method = strawberry.field(
        resolver=shipping.update_shipping_method,
        permission_classes=[IsAdmin],
        description="Only the fields given change.",
    )
    delete_shipping_method = strawberry.field(
        resolver=shipping.delete_shipping_method,
        permission_classes=[IsAdmin],
        description="Carts that chose it are told it is no longer available.",
    )
    set_tax_rate = strawberry.field(
        resolver=tax_rates.set_tax_rate,
        permission_classes=[IsAdmin],
        description="Create or replace the tax rate, in percent, of a country or of one region "
        "of it (without a region: the whole country).",
    )
    delete_tax_rate = strawberry.field(
        resolver=tax_rates.delete_tax_rate, permission_classes=[IsAdmin]
    )
    add_address = strawberry.field(
        resolver=addresses.add_address,
        permission_classes=[IsAuthenticated],
        description="Save an address in your address book.",
    )
    update_address = strawberry.field(
        resolver=addresses.update_address, permission_classes=[IsAuthenticated]
    )
    delete_address = strawberry.field(
        resolver=addresses.delete_address,
        permission_classes=[IsAuthenticated],
        description="Deleting a default address leaves the book without that default.",
    )
    create_discount_code = strawberry.field(
        resolver=discounts.create_discount_code, permission_classes=[IsAdmin]
    )
    update_discount_code = strawberry.field(
        resolver=discounts.update_discount_code, permission_classes=[IsAdmin]
    )
    delete_discount_code = strawberry.field(
        resolver=discounts.delete_discount_code,
        permission_classes=[IsAdmin],
        description="Orders that used the code keep their discount.",
    )
    cart_create = strawberry.field(
        resolver=carts.cart_create,
        description="A new cart; a logged-in customer's is theirs, and they have one open "
        "cart: with one already, the lines are added to it.",
    )
    cart_lines_add = strawberry.field(resolver=carts.cart_lines_add)
    cart_lines_update = strawberry.field(resolver=carts.cart_lines_update)
    cart_lines_remove = strawberry.field(resolver=carts.cart_lines_remove)
    cart_set_email = strawberry.field(resolver=carts.cart_set_email)
    cart_set_shipping_address = strawberry.field(resolver=carts.cart_set_shipping_address)
    cart_set_billing_address = strawberry.field(resolver=carts.cart_set_billing_address)
    cart_select_shipping_method = strawberry.field(resolver=carts.cart_select_shipping_method)
    cart_apply_discount_code = strawberry.field(resolver=carts.cart_apply_discount_code)
    cart_remove_discount_code = strawberry.field(resolver=carts.cart_remove_discount_code)
    cart_assign_to_me = strawberry.field(
        resolver=carts.cart_assign_to_me, permission_classes=[IsAuthenticated]
    )
    checkout_complete = strawberry.field(resolver=checkout.checkout_complete)
