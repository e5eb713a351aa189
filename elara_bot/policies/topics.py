"""The policy topics shoppers ask about, each as a few example questions in shoppers' own words.

A store's policy text is free-form markdown: its headings are the store's, not ours. These topics are the
common questions of online shops (where they deliver, how long delivery takes, refunds, gift wrapping...)
written the indirect ways shoppers ask them ("when would it show up", "money back on my card"). At import,
each topic is filed under the passage of the store's text that covers it, or under none when no passage
does (`service.import_policies`); a question is then compared with the examples as well as with the
passages, so "could you post it to Spain?" finds the passage about where the store ships even though it
shares no word with it, and "do you gift wrap?" is known to be about gift wrapping, which the text may not
cover at all.

The examples are not the questions of any test: a topic needs only enough wordings to be told from the
others. Add a topic when shoppers ask about something new; a store whose text covers it gets its passage
found, the others an honest "the policy does not say".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    examples: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "shipping destinations",
        (
            "Which countries do you ship to?",
            "Do you deliver internationally?",
            "Can you send my order abroad?",
            "Do you post overseas, for example to Europe or Japan?",
            "I live outside the US, can I still order?",
            "Can I have it delivered to a P.O. box?",
            "Where do you deliver?",
            "Can I order from another country?",
            "Do you ship outside the United States?",
            "Can you deliver to a relative who lives abroad?",
            "Do you deliver to Alaska and Hawaii?",
        ),
    ),
    Topic(
        "delivery times",
        (
            "How long does delivery take?",
            "When will my order arrive?",
            "How many days until it gets to me?",
            "How soon would I receive it if I order now?",
            "How fast do you dispatch orders?",
            "When does it usually turn up?",
            "What is the delivery window?",
            "When should I expect my package?",
            "How many business days is delivery?",
            "How soon after payment do you send orders out?",
        ),
    ),
    Topic(
        "shipping costs",
        (
            "How much is shipping?",
            "Is delivery free?",
            "Do you charge a shipping fee?",
            "Is there express shipping for an extra cost?",
            "Are there any handling charges on top of the price?",
            "Do you offer next-day delivery?",
            "Is shipping included in the price?",
        ),
    ),
    Topic(
        "order tracking",
        (
            "Where is my order?",
            "How do I track my parcel?",
            "Will I get a tracking number?",
            "How can I see the status of my package?",
            "Can I follow my parcel online?",
            "Has my order shipped yet?",
            "Is there a tracking link?",
        ),
    ),
    Topic(
        "returns",
        (
            "Can I return an item?",
            "How long is the return period?",
            "What is your return window?",
            "I don't want it anymore, can I give it back?",
            "How do I send back something I bought?",
            "It was delivered but I do not want it anymore.",
            "I changed my mind, can I return it?",
            "Is there a deadline for returns?",
        ),
    ),
    Topic(
        "refunds",
        (
            "When will I get my refund?",
            "How long until the money is back on my card?",
            "Do I get my money back?",
            "How are refunds paid?",
            "When will the refund show on my bank statement?",
            "When will my refund come through?",
            "Will I be refunded to the card I used?",
        ),
    ),
    Topic(
        "cancellations",
        (
            "Can I cancel my order?",
            "How do I cancel an order?",
            "Can I stop an order before it ships?",
            "I no longer want what I ordered, can I call it off?",
            "It has not shipped yet, can I cancel?",
            "I ordered by accident, can I undo it?",
        ),
    ),
    Topic(
        "exchanges",
        (
            "Can I exchange an item for a different size?",
            "Can I swap it for another colour?",
            "How do exchanges work?",
            "Can I trade what I bought for a different one?",
            "It does not fit, can I get another size instead?",
        ),
    ),
    Topic(
        "order changes",
        (
            "Can I change my order after placing it?",
            "Can I edit the items in my order?",
            "Can I change the delivery address on my order?",
            "I made a mistake in my order, can it be modified?",
            "Can I add something to an order I already placed?",
            "I put the wrong address on my order.",
        ),
    ),
    Topic(
        "payment methods",
        (
            "What payment methods do you accept?",
            "Can I pay by credit card?",
            "Do you accept PayPal?",
            "Which ways can I pay?",
            "Can I pay by bank transfer or cash?",
            "Which cards do you take?",
            "Can I pay with Apple Pay?",
            "Can I pay with a gift card?",
        ),
    ),
    Topic(
        "paying for an order",
        (
            "How does paying for an order work?",
            "How long is my payment link valid?",
            "What happens if I don't pay straight away?",
            "Are the items kept for me while I pay?",
            "Do I have to pay right away?",
            "My payment link expired, what now?",
        ),
    ),
    Topic(
        "test payments",
        (
            "Which test card can I use?",
            "Is this a demo store where nothing is really charged?",
            "Which card number works for a test payment?",
            "Will my card really be charged here?",
        ),
    ),
    Topic(
        "sizing",
        (
            "What size should I order?",
            "Do the clothes run small or large?",
            "Is there a size guide?",
            "Which shoe size should I get?",
            "How do your sizes fit?",
            "Should I size up or down?",
            "Are your shoe sizes US or European?",
        ),
    ),
    Topic(
        "warranty",
        (
            "Is there a warranty?",
            "What if the product breaks or stops working after a while?",
            "Is it guaranteed against defects?",
            "How long is the guarantee?",
            "Is it covered if it stops working after a few months?",
            "Do electronics come with a warranty?",
        ),
    ),
    Topic(
        "damaged or wrong items",
        (
            "My item arrived damaged.",
            "I received the wrong item.",
            "The product was broken when it came.",
            "What if you send me the wrong thing?",
            "Part of my order is missing or wrong.",
            "The parcel came with the wrong product inside.",
        ),
    ),
    Topic(
        "privacy",
        (
            "What do you do with my personal data?",
            "Do you share or sell my information?",
            "Can I have my data deleted?",
            "Is my information kept private?",
            "Do you store my card details?",
            "Who has access to my conversations?",
            "Do you use my email for marketing?",
        ),
    ),
    Topic(
        "contact",
        (
            "How can I contact customer service?",
            "Can I talk to a real person?",
            "What are your support hours?",
            "What is your email or phone number?",
            "When is your team available?",
            "What are your opening hours?",
        ),
    ),
    Topic(
        "discounts",
        (
            "Do you have any discount codes?",
            "Are there coupons or promo codes?",
            "Do you offer student or military discounts?",
            "Is there a sale on at the moment?",
            "Can I get money off?",
            "Do you have a first order discount?",
            "Any deals or offers right now?",
        ),
    ),
    Topic(
        "gift wrapping",
        (
            "Do you offer gift wrapping?",
            "Can I add a gift message?",
            "Can you wrap it as a present?",
            "Can you include a gift note?",
            "Can you send it as a gift without the price on it?",
        ),
    ),
    Topic(
        "gift cards",
        (
            "Do you sell gift cards?",
            "Can I buy a gift voucher for a friend?",
            "Can I give someone store credit as a present?",
        ),
    ),
    Topic(
        "store pickup",
        (
            "Can I pick up my order in store?",
            "Do you have a brick-and-mortar store?",
            "Can I collect it in person?",
            "Where is your store located?",
            "Is there a showroom I can walk into?",
            "Can I pick it up from your warehouse?",
        ),
    ),
    Topic(
        "price matching",
        (
            "Do you price match?",
            "Will you match a lower price from another shop?",
            "What if the price drops after I buy?",
            "Will you refund the difference if it goes on sale?",
        ),
    ),
    Topic(
        "loyalty rewards",
        (
            "Do you have a loyalty program?",
            "Can I earn reward points?",
            "Is there a membership with perks?",
            "Do I get points for buying?",
        ),
    ),
    Topic(
        "personalisation",
        (
            "Do you offer engraving?",
            "Do you offer personalisation or custom printing?",
            "Can you put my initials on it?",
            "Do you take custom orders?",
        ),
    ),
    Topic(
        "bulk orders",
        (
            "Do you sell wholesale or in bulk?",
            "Can I order large quantities for my business?",
            "Do you do corporate orders with an invoice?",
            "Is there a discount for buying many units?",
        ),
    ),
    Topic(
        "instalments",
        (
            "Can I pay in instalments?",
            "Do you offer buy now pay later?",
            "Is there financing available?",
            "Do you take Klarna or Afterpay?",
            "Can I split the payment?",
        ),
    ),
    Topic(
        "taxes and duties",
        (
            "Will I have to pay customs or import duties?",
            "Is sales tax included in the price?",
            "Do you charge VAT?",
            "Will I be charged customs fees?",
            "Are taxes added at checkout?",
        ),
    ),
    Topic(
        "sustainability",
        (
            "Is your packaging recyclable?",
            "Are your products eco-friendly?",
            "What do you do for the environment?",
            "Do you use plastic in your packaging?",
            "Are your products ethically made?",
        ),
    ),
    Topic(
        "restocks and pre-orders",
        (
            "When will this be back in stock?",
            "Can I pre-order something?",
            "Will you restock this item?",
            "Can you tell me when it is available again?",
        ),
    ),
    Topic(
        "accounts",
        (
            "Do I need an account to order?",
            "How do I reset my password?",
            "Can I check out as a guest?",
            "How do I create an account?",
        ),
    ),
)
