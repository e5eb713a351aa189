"""Storefront: discount codes, promotions, shipping rates, taxes per destination, buyer details and saved
addresses, and the one pricing function every checkout (chat, REST, UCP) takes its totals from."""
