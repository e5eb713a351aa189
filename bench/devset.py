"""The graded retrieval dev set of bench/data/retrieval_catalog/: 8,000 products of 50 product types
(hardware, electrical, lighting, plumbing, home, garden, electronics) with brands, model numbers, measures,
attributes and descriptions, and 360 queries of six kinds graded by rules over the products' fields.

Deterministic (one seeded random stream): ``python -m bench.devset`` rewrites the same files. The labels come
from the generator's own fields, not from people: a product of the asked type with every asked attribute is
exactly relevant (2); one of the asked type with another attribute, or of a closely related type with the
asked attributes, is partly relevant (1). bench/data/retrieval_catalog/README.md says why it is generated.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "retrieval_catalog"
PRODUCTS = 8000
ROOMS = ["bathroom", "bedroom", "kitchen", "living room", "garage", "patio", "office", "hallway", "basement"]
FINISHES = ["matte black", "brushed nickel", "oil rubbed bronze", "chrome", "satin brass", "white"]
COLOURS = ["white", "black", "grey", "navy", "beige", "green", "red", "blue"]


@dataclass
class Kind:
    """One product type: its names, category, attributes (name -> values), measures, related types and the
    plain-language needs a shopper might type for it (each with the attributes it implies)."""

    key: str
    category: str
    nouns: list[str]
    attrs: dict[str, list[str]]
    measures: dict[str, list[str]] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    needs: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    price: tuple[int, int] = (5, 200)
    colour_option: str | None = None  # the attribute offered as the variant's color option


def _k(key: str, category: str, nouns: str, attrs: dict[str, list[str]], **kw: object) -> Kind:
    return Kind(key, category, nouns.split("|"), attrs, **kw)  # type: ignore[arg-type]


KINDS = [
    _k(
        "electric wire",
        "Electrical > Wire",
        "Electrical Wire|NM-B Wire|Romex Building Wire",
        {"conductor": ["solid copper", "stranded copper"], "jacket": ["white", "yellow", "orange"]},
        measures={
            "gauge": ["14/2", "12/2", "14/3", "12/3", "10/2", "10/3", "8/3"],
            "length": ["25", "50", "100", "250"],
        },
        related=["extension cord"],
        brands=["Southwire", "Cerrowire", "Encore Wire"],
        price=(20, 300),
        needs=[("cable to wire a new outlet in the garage", {}), ("wire for running power to a dryer", {})],
    ),
    _k(
        "extension cord",
        "Electrical > Extension Cords",
        "Extension Cord|Power Cord",
        {"use": ["indoor", "outdoor"], "color": ["orange", "green", "black", "yellow"]},
        measures={"length": ["6", "10", "25", "50", "100"], "awg": ["16", "14", "12"]},
        related=["power strip"],
        brands=["Husky", "Woods", "Iron Forge Cable"],
        price=(8, 90),
        colour_option="color",
        needs=[("long cord to power my leaf blower from the house", {"use": "outdoor"})],
    ),
    _k(
        "power strip",
        "Electrical > Power Strips",
        "Power Strip|Surge Protector",
        {
            "outlets": ["4-outlet", "6-outlet", "8-outlet", "12-outlet"],
            "feature": ["USB ports", "flat plug", "tamper resistant"],
        },
        related=["extension cord"],
        brands=["Belkin", "Tripp Lite", "Amazon Basics"],
        price=(10, 60),
        needs=[("plug in all my computer stuff safely with surge protection", {})],
    ),
    _k(
        "outlet",
        "Electrical > Outlets & Receptacles",
        "Outlet|Receptacle|Duplex Outlet",
        {
            "type": ["GFCI", "tamper resistant", "USB charger", "weather resistant"],
            "color": ["white", "ivory", "light almond", "black"],
        },
        measures={"amp": ["15", "20"]},
        related=["light switch"],
        brands=["Leviton", "Eaton", "Legrand"],
        price=(2, 40),
        colour_option="color",
        needs=[("plug that cuts power if it gets wet near the sink", {"type": "GFCI"})],
    ),
    _k(
        "light switch",
        "Electrical > Switches & Dimmers",
        "Light Switch|Dimmer Switch|Toggle Switch",
        {
            "type": ["single pole", "3-way", "smart wi-fi", "motion sensor", "dimmer"],
            "color": ["white", "ivory", "black"],
        },
        related=["outlet"],
        brands=["Lutron", "Leviton", "TP-Link Kasa"],
        price=(4, 60),
        colour_option="color",
        needs=[
            ("turn the lights on automatically when someone walks in", {"type": "motion sensor"}),
            ("control my lights from my phone", {"type": "smart wi-fi"}),
        ],
    ),
    _k(
        "post base",
        "Hardware > Structural Connectors",
        "Post Base|Post Anchor",
        {"finish": ["ZMAX galvanized", "hot-dip galvanized", "stainless steel", "black powder coat"]},
        measures={"size": ["4 in. x 4 in.", "6 in. x 6 in.", "4 in. x 6 in."], "gauge": ["12", "14", "16"]},
        related=["joist hanger"],
        brands=["Simpson Strong-Tie", "USP", "OZCO"],
        price=(6, 45),
        needs=[("bracket to hold a deck post on a concrete footing", {})],
    ),
    _k(
        "joist hanger",
        "Hardware > Structural Connectors",
        "Joist Hanger|Face Mount Hanger",
        {"finish": ["ZMAX galvanized", "hot-dip galvanized", "stainless steel"]},
        measures={
            "size": ["2 in. x 6 in.", "2 in. x 8 in.", "2 in. x 10 in.", "2 in. x 12 in."],
            "gauge": ["18", "16", "14"],
        },
        related=["post base"],
        brands=["Simpson Strong-Tie", "USP"],
        price=(1, 15),
        needs=[("metal bracket to hang deck joists from the ledger board", {})],
    ),
    _k(
        "hex nut",
        "Hardware > Fasteners > Nuts",
        "Hex Nut|Nylon Lock Nut|Finished Hex Nut",
        {"material": ["zinc-plated steel", "stainless steel", "brass", "grade 8 steel"]},
        measures={
            "thread": [
                "1/4 in.-20",
                "5/16 in.-18",
                "3/8 in.-16",
                "1/2 in.-13",
                "M6-1.0",
                "M8-1.25",
                "M10-1.5",
            ],
            "pack": ["10", "25", "50", "100"],
        },
        related=["wood screw"],
        brands=["Everbilt", "Hillman", "Crown Bolt"],
        price=(1, 20),
        needs=[("something to tighten onto a bolt so it won't vibrate loose", {})],
    ),
    _k(
        "wood screw",
        "Hardware > Fasteners > Screws",
        "Wood Screw|Deck Screw|Construction Screw",
        {
            "drive": ["Phillips", "star", "square"],
            "material": ["zinc-plated steel", "stainless steel", "coated steel"],
        },
        measures={
            "size": ["#8 x 1-1/4 in.", "#8 x 2 in.", "#9 x 2-1/2 in.", "#10 x 3 in."],
            "pack": ["100", "350", "1 lb.", "5 lb."],
        },
        related=["hex nut"],
        brands=["GRK", "Deckmate", "Everbilt", "SPAX"],
        price=(5, 60),
        needs=[("screws that won't rust for building an outdoor deck", {"material": "stainless steel"})],
    ),
    _k(
        "drill bit set",
        "Tools > Drill Bits",
        "Drill Bit Set|Twist Drill Bit Kit",
        {"material": ["titanium", "cobalt", "black oxide", "carbide"], "case": ["with case", "with index"]},
        measures={"pieces": ["13", "21", "29", "50", "100"]},
        related=["cordless drill", "tool box"],
        brands=["DEWALT", "Milwaukee", "Bosch", "Drill America"],
        price=(12, 120),
        needs=[("bits that can drill through stainless steel", {"material": "cobalt"})],
    ),
    _k(
        "cordless drill",
        "Tools > Power Tools > Drills",
        "Cordless Drill|Drill/Driver|Hammer Drill",
        {"motor": ["brushless", "brushed"], "kit": ["tool only", "with battery and charger"]},
        measures={"volts": ["12", "18", "20"]},
        related=["drill bit set", "circular saw"],
        brands=["DEWALT", "Milwaukee", "Makita", "RYOBI"],
        price=(60, 300),
        needs=[("battery powered tool to drive screws and make holes", {})],
    ),
    _k(
        "circular saw",
        "Tools > Power Tools > Saws",
        "Circular Saw|Worm Drive Saw",
        {"power": ["corded", "cordless"], "motor": ["brushless", "brushed"]},
        measures={"blade": ["6-1/2 in.", "7-1/4 in."]},
        related=["cordless drill"],
        brands=["DEWALT", "SKILSAW", "Makita", "RYOBI"],
        price=(50, 250),
        needs=[("power tool for cutting sheets of plywood", {})],
    ),
    _k(
        "tool box",
        "Tools > Tool Storage",
        "Tool Box|Tool Chest|Tool Organizer",
        {"material": ["steel", "plastic", "aluminum"], "style": ["rolling", "portable", "stackable"]},
        measures={"width": ["16 in.", "22 in.", "26 in.", "41 in."]},
        related=["drill bit set"],
        brands=["Husky", "Craftsman", "Milwaukee", "Stanley"],
        price=(15, 400),
        needs=[("somewhere to keep my wrenches and screwdrivers organized", {})],
    ),
    _k(
        "garden hose",
        "Garden > Watering > Hoses",
        "Garden Hose|Water Hose",
        {
            "material": ["rubber", "vinyl", "hybrid polymer"],
            "style": ["expandable", "heavy duty", "lightweight"],
        },
        measures={"diameter": ["1/2 in.", "5/8 in.", "3/4 in."], "length": ["25", "50", "75", "100"]},
        related=["lawn mower"],
        brands=["Flexzilla", "Gilmour", "Teknor Apex"],
        price=(15, 120),
        needs=[("something to water the plants in my backyard", {})],
    ),
    _k(
        "lawn mower",
        "Garden > Outdoor Power > Lawn Mowers",
        "Lawn Mower|Push Mower|Riding Mower",
        {"power": ["gas", "battery", "electric corded"], "drive": ["self-propelled", "push"]},
        measures={"deck": ["20 in.", "21 in.", "30 in.", "42 in."]},
        related=["garden hose"],
        brands=["Toro", "Honda", "EGO", "Greenworks"],
        price=(150, 2500),
        needs=[("machine to cut the grass in my yard", {})],
    ),
    _k(
        "wall light",
        "Lighting > Wall Lights",
        "Wall Light|Wall Sconce|Wall Lantern",
        {"location": ["bathroom", "bedroom", "outdoor", "hallway"], "finish": FINISHES},
        measures={"lights": ["1-light", "2-light", "3-light"]},
        related=["vanity light", "ceiling light"],
        brands=["Globe Electric", "Progress Lighting", "Hampton Bay", "Kichler"],
        price=(20, 200),
        colour_option="finish",
        needs=[
            ("light to mount next to the front door", {"location": "outdoor"}),
            ("lamp fixed on the wall beside the bed", {"location": "bedroom"}),
        ],
    ),
    _k(
        "vanity light",
        "Lighting > Bathroom Lighting",
        "Vanity Light|Bath Light Bar|Vanity Fixture",
        {"location": ["bathroom"], "finish": FINISHES},
        measures={"lights": ["2-light", "3-light", "4-light", "5-light"]},
        related=["wall light"],
        brands=["Hampton Bay", "Progress Lighting", "Kichler", "Home Decorators"],
        price=(40, 300),
        colour_option="finish",
        needs=[("light to hang above the bathroom mirror", {})],
    ),
    _k(
        "ceiling light",
        "Lighting > Ceiling Lights",
        "Flush Mount Ceiling Light|Ceiling Light|Semi-Flush Mount Light",
        {"location": ["bedroom", "kitchen", "hallway", "living room", "closet"], "finish": FINISHES},
        measures={"width": ["11 in.", "13 in.", "15 in.", "19 in."]},
        related=["pendant light", "wall light"],
        brands=["Hampton Bay", "Commercial Electric", "Globe Electric"],
        price=(20, 250),
        colour_option="finish",
        needs=[("overhead light for a kids bedroom", {"location": "bedroom"})],
    ),
    _k(
        "pendant light",
        "Lighting > Pendant Lights",
        "Pendant Light|Mini Pendant|Island Pendant",
        {
            "location": ["kitchen island", "dining room", "entryway"],
            "finish": FINISHES,
            "shade": ["glass", "metal", "rattan"],
        },
        related=["ceiling light"],
        brands=["Globe Electric", "Kichler", "Home Decorators"],
        price=(40, 400),
        colour_option="finish",
        needs=[("hanging lights over my kitchen island", {"location": "kitchen island"})],
    ),
    _k(
        "string lights",
        "Lighting > String Lights",
        "String Lights|Fairy Lights|Christmas Lights",
        {
            "use": ["christmas tree", "patio", "bedroom", "wedding"],
            "bulb": ["LED", "incandescent", "solar LED"],
            "color": ["warm white", "multicolor", "cool white"],
        },
        measures={"length": ["16", "24", "33", "48", "100"]},
        related=["light bulb"],
        brands=["Brightech", "Twinkle Star", "Home Accents Holiday", "Enbrighten"],
        price=(8, 80),
        needs=[("decorations that light up the tree for the holidays", {"use": "christmas tree"})],
    ),
    _k(
        "light bulb",
        "Lighting > Light Bulbs",
        "LED Light Bulb|LED Bulb|Light Bulb",
        {
            "shape": ["A19", "BR30", "PAR38", "candelabra"],
            "color temperature": ["soft white 2700K", "daylight 5000K", "bright white 3000K"],
        },
        measures={"watt": ["40", "60", "75", "100"], "pack": ["2-pack", "4-pack", "8-pack", "16-pack"]},
        related=["string lights"],
        brands=["Philips", "Feit Electric", "Cree", "GE"],
        price=(4, 40),
        needs=[("replacement bulbs for my lamps that use less energy", {})],
    ),
    _k(
        "ceiling fan",
        "Lighting > Ceiling Fans",
        "Ceiling Fan|Ceiling Fan with Light",
        {
            "location": ["indoor", "outdoor", "indoor/outdoor"],
            "finish": FINISHES,
            "control": ["remote", "pull chain", "smart"],
        },
        measures={"size": ["42 in.", "44 in.", "52 in.", "60 in."]},
        related=["ceiling light"],
        brands=["Hunter", "Hampton Bay", "Minka-Aire", "Home Decorators"],
        price=(70, 600),
        colour_option="finish",
        needs=[("something overhead to keep the porch cool in summer", {"location": "outdoor"})],
    ),
    _k(
        "sponge",
        "Cleaning > Sponges & Scrubbers",
        "Sponge|Scrub Sponge|Cleaning Sponge",
        {
            "type": ["non-scratch", "heavy duty", "cellulose", "magic eraser"],
            "use": ["kitchen", "bathroom", "car"],
        },
        measures={"pack": ["3", "6", "9", "12", "24"]},
        related=["mop"],
        brands=["Scotch-Brite", "O-Cedar", "Mr. Clean"],
        price=(2, 25),
        needs=[("scrubbers for washing dishes without scratching pans", {"type": "non-scratch"})],
    ),
    _k(
        "mop",
        "Cleaning > Mops",
        "Mop|Spin Mop|Microfiber Mop",
        {"type": ["spin", "spray", "microfiber flat", "steam"], "use": ["hardwood", "tile", "laminate"]},
        related=["sponge"],
        brands=["O-Cedar", "Swiffer", "Libman", "Bissell"],
        price=(10, 150),
        needs=[("something to clean the kitchen floor", {})],
    ),
    _k(
        "trash can",
        "Home > Trash Cans",
        "Trash Can|Garbage Can|Step Trash Can",
        {
            "location": ["kitchen", "outdoor", "bathroom", "office"],
            "material": ["stainless steel", "plastic"],
            "lid": ["step", "touchless sensor", "swing"],
        },
        measures={"capacity": ["4 gal.", "13 gal.", "30 gal.", "50 gal."]},
        brands=["simplehuman", "Rubbermaid", "Hefty"],
        price=(10, 200),
        needs=[("bin for garbage that opens without touching it", {"lid": "touchless sensor"})],
    ),
    _k(
        "shower head",
        "Bath > Shower Heads",
        "Shower Head|Handheld Shower Head|Rain Shower Head",
        {"type": ["handheld", "rain", "fixed", "dual"], "finish": FINISHES},
        measures={"flow": ["1.8 GPM", "2.5 GPM"], "sprays": ["1-spray", "3-spray", "5-spray"]},
        related=["kitchen faucet"],
        brands=["Moen", "Delta", "Waterpik", "Kohler"],
        price=(15, 250),
        colour_option="finish",
        needs=[("showerhead that feels like standing in the rain", {"type": "rain"})],
    ),
    _k(
        "kitchen faucet",
        "Plumbing > Kitchen Faucets",
        "Kitchen Faucet|Pull-Down Kitchen Faucet|Bar Faucet",
        {"style": ["pull-down", "pull-out", "touchless", "single handle", "bridge"], "finish": FINISHES},
        related=["shower head"],
        brands=["Moen", "Delta", "Kohler", "Pfister"],
        price=(60, 500),
        colour_option="finish",
        needs=[("tap for the kitchen sink with a sprayer hose", {"style": "pull-down"})],
    ),
    _k(
        "toilet",
        "Bath > Toilets",
        "Toilet|Two-Piece Toilet|One-Piece Toilet",
        {
            "bowl": ["elongated", "round"],
            "height": ["comfort height", "standard height"],
            "flush": ["single flush", "dual flush"],
        },
        measures={"gpf": ["1.28 GPF", "1.1 GPF", "1.6 GPF"]},
        related=["bathroom vanity"],
        brands=["American Standard", "Kohler", "Glacier Bay", "TOTO"],
        price=(100, 600),
        needs=[("new commode for the bathroom that saves water", {})],
    ),
    _k(
        "bathroom vanity",
        "Bath > Bathroom Vanities",
        "Bathroom Vanity|Vanity with Top|Single Sink Vanity",
        {
            "color": ["white", "grey", "espresso", "navy blue", "natural oak"],
            "top": ["marble top", "cultured marble", "without top"],
        },
        measures={"width": ["24 in.", "30 in.", "36 in.", "48 in.", "60 in."]},
        related=["toilet", "vanity light"],
        brands=["Home Decorators", "Glacier Bay", "Wyndham"],
        price=(150, 1500),
        colour_option="color",
        needs=[("cabinet with a sink for a small bathroom", {})],
    ),
    _k(
        "area rug",
        "Home > Rugs",
        "Area Rug|Rug|Indoor Area Rug",
        {
            "style": ["shag", "vintage", "moroccan", "geometric", "braided"],
            "color": COLOURS,
            "location": ["living room", "bedroom", "outdoor", "hallway runner"],
        },
        measures={"size": ["2 ft. x 3 ft.", "5 ft. x 7 ft.", "8 ft. x 10 ft.", "9 ft. x 12 ft."]},
        related=["throw pillow"],
        brands=["nuLOOM", "Safavieh", "Well Woven"],
        price=(20, 600),
        colour_option="color",
        needs=[("something soft to cover the floor under the sofa", {"location": "living room"})],
    ),
    _k(
        "throw pillow",
        "Home > Decor > Pillows",
        "Throw Pillow|Decorative Pillow|Accent Pillow",
        {"material": ["velvet", "linen", "cotton", "faux fur"], "color": COLOURS + ["turquoise", "mustard"]},
        measures={"size": ["18 in. x 18 in.", "20 in. x 20 in.", "12 in. x 20 in."]},
        related=["area rug"],
        brands=["Rivet", "Stone & Beam", "Home Decorators"],
        price=(10, 60),
        colour_option="color",
        needs=[("cushions to decorate my couch", {})],
    ),
    _k(
        "coffee table",
        "Furniture > Living Room > Coffee Tables",
        "Coffee Table|Cocktail Table",
        {
            "material": ["solid wood", "glass", "metal", "marble"],
            "shape": ["round", "rectangular", "oval"],
            "feature": ["lift top", "storage drawer", "nesting", "smart with fridge"],
        },
        related=["bookcase"],
        brands=["Walker Edison", "Ashley", "Wade Logan"],
        price=(60, 800),
        needs=[("low table for the middle of the living room", {})],
    ),
    _k(
        "office chair",
        "Furniture > Office > Office Chairs",
        "Office Chair|Desk Chair|Task Chair",
        {
            "material": ["mesh", "leather", "fabric"],
            "feature": ["ergonomic", "lumbar support", "adjustable arms", "armless"],
        },
        related=["bookcase"],
        brands=["Steelcase", "Flash Furniture", "Hbada", "Serta"],
        price=(60, 900),
        needs=[("comfortable seat for working at my desk all day", {"feature": "ergonomic"})],
    ),
    _k(
        "bookcase",
        "Furniture > Storage > Bookcases",
        "Bookcase|Bookshelf|Etagere",
        {"material": ["wood", "metal", "engineered wood"], "color": ["white", "black", "walnut", "oak"]},
        measures={"shelves": ["3-shelf", "4-shelf", "5-shelf"]},
        related=["coffee table"],
        brands=["Sauder", "Ameriwood", "Walker Edison"],
        price=(40, 400),
        colour_option="color",
        needs=[("shelves to store my books", {})],
    ),
    _k(
        "bed frame",
        "Furniture > Bedroom > Beds",
        "Bed Frame|Platform Bed|Upholstered Bed",
        {"size": ["twin", "full", "queen", "king"], "material": ["metal", "wood", "upholstered"]},
        related=["mattress"],
        brands=["Zinus", "Novilla", "Allewie"],
        price=(100, 900),
        needs=[("a frame to put my new queen mattress on", {"size": "queen"})],
    ),
    _k(
        "mattress",
        "Furniture > Bedroom > Mattresses",
        "Mattress|Memory Foam Mattress|Hybrid Mattress",
        {
            "size": ["twin", "full", "queen", "king"],
            "type": ["memory foam", "hybrid", "innerspring"],
            "firmness": ["medium firm", "plush", "firm"],
        },
        measures={"thickness": ["8 in.", "10 in.", "12 in.", "14 in."]},
        related=["bed frame"],
        brands=["Zinus", "Sealy", "Linenspa", "Novilla"],
        price=(150, 1500),
        needs=[("something comfortable to sleep on for a guest room", {})],
    ),
    _k(
        "swing set",
        "Outdoor > Playground > Swing Sets",
        "Swing Set|Playground Swing Set|Tree Swing",
        {"material": ["wood", "metal"], "feature": ["with slide", "with climbing wall", "saucer swing"]},
        related=["patio umbrella"],
        brands=["Gorilla Playsets", "Backyard Discovery", "Step2"],
        price=(60, 2500),
        needs=[("play equipment for the kids in the backyard", {})],
    ),
    _k(
        "patio umbrella",
        "Outdoor > Patio > Umbrellas",
        "Patio Umbrella|Market Umbrella|Cantilever Umbrella",
        {"color": ["tan", "navy", "red", "grey", "green"], "feature": ["tilt", "solar LED", "crank lift"]},
        measures={"size": ["7.5 ft.", "9 ft.", "10 ft.", "11 ft."]},
        related=["grill", "swing set"],
        brands=["Hampton Bay", "Sunnydaze", "Abba Patio"],
        price=(40, 500),
        colour_option="color",
        needs=[("shade for the table on my deck", {})],
    ),
    _k(
        "grill",
        "Outdoor > Grills",
        "Gas Grill|Grill|Charcoal Grill",
        {"fuel": ["propane", "charcoal", "pellet", "natural gas"], "finish": ["stainless steel", "black"]},
        measures={"burners": ["2-burner", "3-burner", "4-burner", "5-burner"]},
        related=["patio umbrella"],
        brands=["Weber", "Char-Broil", "Traeger", "Nexgrill"],
        price=(100, 1200),
        needs=[("something to barbecue burgers outside", {})],
    ),
    _k(
        "paint",
        "Paint > Interior Paint",
        "Paint|Paint and Primer|Interior Paint",
        {
            "use": ["interior", "exterior"],
            "sheen": ["flat", "eggshell", "satin", "semi-gloss"],
            "color": COLOURS,
        },
        measures={"volume": ["1 qt.", "1 gal.", "5 gal."]},
        related=["caulk"],
        brands=["BEHR", "Glidden", "Valspar"],
        price=(15, 250),
        colour_option="color",
        needs=[("something to refresh the color of my bedroom walls", {"use": "interior"})],
    ),
    _k(
        "caulk",
        "Paint > Caulk & Sealants",
        "Caulk|Sealant|Silicone Sealant",
        {
            "type": ["100% silicone", "acrylic latex", "polyurethane"],
            "use": ["kitchen and bath", "window and door", "concrete"],
        },
        measures={"size": ["5.5 oz.", "10.1 oz.", "2.8 oz."]},
        related=["paint"],
        brands=["GE", "DAP", "Gorilla"],
        price=(3, 20),
        needs=[("seal the gap between my bathtub and the tile", {"use": "kitchen and bath"})],
    ),
    _k(
        "door lock",
        "Hardware > Door Hardware > Locks",
        "Deadbolt|Smart Lock|Keypad Door Lock",
        {
            "type": ["keyed", "keypad", "smart wi-fi", "fingerprint"],
            "finish": ["satin nickel", "matte black", "venetian bronze"],
        },
        related=["smoke detector"],
        brands=["Schlage", "Kwikset", "Yale", "August"],
        price=(20, 300),
        colour_option="finish",
        needs=[("lock for the front door that opens with a code", {"type": "keypad"})],
    ),
    _k(
        "smoke detector",
        "Safety > Smoke Detectors",
        "Smoke Detector|Smoke Alarm|Smoke and CO Detector",
        {
            "power": ["hardwired", "battery", "10-year sealed battery"],
            "sensor": ["photoelectric", "ionization", "combination CO"],
        },
        measures={"pack": ["1", "2", "3", "6"]},
        related=["door lock"],
        brands=["First Alert", "Kidde", "X-Sense"],
        price=(10, 120),
        needs=[("alarm that warns of fire and carbon monoxide", {"sensor": "combination CO"})],
    ),
    _k(
        "bluetooth speaker",
        "Electronics > Audio > Speakers",
        "Bluetooth Speaker|Portable Speaker|Wireless Speaker",
        {
            "feature": ["waterproof", "party lights", "long battery"],
            "color": ["black", "blue", "red", "teal"],
        },
        measures={"watt": ["10", "20", "40", "100"]},
        related=["headphones"],
        brands=["JBL", "Anker Soundcore", "Bose", "Sony"],
        price=(20, 400),
        colour_option="color",
        needs=[("music player for the pool that can get wet", {"feature": "waterproof"})],
    ),
    _k(
        "headphones",
        "Electronics > Audio > Headphones",
        "Headphones|Wireless Headphones|Earbuds",
        {
            "style": ["over-ear", "in-ear", "on-ear"],
            "feature": ["noise cancelling", "sport", "kids volume limit"],
        },
        related=["bluetooth speaker"],
        brands=["Sony", "Bose", "JBL", "Beats"],
        price=(20, 450),
        needs=[("block out noise on a long flight", {"feature": "noise cancelling"})],
    ),
    _k(
        "hdmi cable",
        "Electronics > Cables > HDMI",
        "HDMI Cable|High Speed HDMI Cable",
        {"version": ["4K HDMI 2.0", "8K HDMI 2.1"], "style": ["braided", "flat", "right angle"]},
        measures={"length": ["3", "6", "10", "15", "25"]},
        related=["phone charger"],
        brands=["Amazon Basics", "Belkin", "Monoprice"],
        price=(5, 40),
        needs=[("cord to connect my game console to the TV", {})],
    ),
    _k(
        "phone charger",
        "Electronics > Chargers",
        "USB-C Charger|Wall Charger|Fast Charger",
        {"type": ["USB-C PD", "wireless pad", "car charger", "dual port"]},
        measures={"watt": ["20", "30", "45", "65"]},
        related=["hdmi cable"],
        brands=["Anker", "Belkin", "Apple", "Samsung"],
        price=(10, 60),
        needs=[("plug to charge my phone faster", {})],
    ),
    _k(
        "water heater",
        "Plumbing > Water Heaters",
        "Water Heater|Tank Water Heater|Tankless Water Heater",
        {"fuel": ["gas", "electric", "heat pump"], "type": ["tank", "tankless"]},
        measures={"capacity": ["30 gal.", "40 gal.", "50 gal.", "80 gal."]},
        brands=["Rheem", "A.O. Smith", "Bradford White"],
        price=(400, 2500),
        needs=[("my showers run cold, need new hot water supply", {})],
    ),
    _k(
        "air filter",
        "Heating & Cooling > Air Filters",
        "Air Filter|Furnace Filter|Pleated Air Filter",
        {"rating": ["MERV 8", "MERV 11", "MERV 13", "FPR 10"]},
        measures={
            "size": [
                "16 in. x 25 in. x 1 in.",
                "20 in. x 20 in. x 1 in.",
                "20 in. x 25 in. x 1 in.",
                "14 in. x 20 in. x 1 in.",
            ],
            "pack": ["1", "4", "6"],
        },
        brands=["Filtrete", "Honeywell", "Nordic Pure"],
        price=(8, 90),
        needs=[("filter for my furnace that traps pet dander", {})],
    ),
    _k(
        "ladder",
        "Tools > Ladders",
        "Step Ladder|Extension Ladder|Multi-Position Ladder",
        {
            "material": ["aluminum", "fiberglass"],
            "rating": ["Type IA 300 lb.", "Type I 250 lb.", "Type II 225 lb."],
        },
        measures={"height": ["4 ft.", "6 ft.", "8 ft.", "24 ft.", "28 ft."]},
        brands=["Werner", "Little Giant", "Louisville"],
        price=(50, 600),
        needs=[("something to reach the gutters on a two story house", {})],
    ),
]
BY_KEY = {k.key: k for k in KINDS}


@dataclass
class Product:
    id: str
    kind: Kind
    brand: str
    model: str
    attrs: dict[str, str]
    measures: dict[str, str]
    title: str
    description: str
    price: int


def _model(rng: random.Random, brand: str) -> str:
    letters = "".join(c for c in brand.upper() if c.isalpha())[:2] or "XX"
    style = rng.random()
    if style < 0.4:
        return f"{letters}{rng.randint(100, 9999)}{rng.choice(['', 'B', 'W', 'SS', 'BK'])}"
    if style < 0.75:
        return f"{letters}-{rng.randint(10, 999)}{rng.choice(['A', 'C', 'X', ''])}-{rng.randint(1, 99):02d}"
    return f"{rng.randint(10000, 999999)}"


def _measure_text(name: str, value: str) -> str:
    """How a title writes a measure ("50 ft.", "12/3", "18-Volt", "#8 x 2 in.")."""
    formats = {
        "length": "{} ft.",
        "volts": "{}-Volt",
        "watt": "{}-Watt",
        "awg": "{}-Gauge",
        "gauge": "{}-Gauge",
        "amp": "{} Amp",
        "pieces": "{}-Piece",
        "pack": "({}-Pack)",
    }
    if name == "gauge" and "/" in value:
        return value
    if name == "pack" and not value.isdigit():
        return f"({value})"
    return formats.get(name, "{}").format(value)


def _product(rng: random.Random, index: int, kind: Kind) -> Product:
    brand = rng.choice(kind.brands or ["Generic"])
    attrs = {name: rng.choice(values) for name, values in kind.attrs.items()}
    measures = {name: rng.choice(values) for name, values in kind.measures.items()}
    noun = rng.choice(kind.nouns)
    words = [brand]
    words += [_measure_text(n, v) for n, v in measures.items() if n not in ("pack",)]
    shown = [v for n, v in attrs.items() if rng.random() < 0.75 and n not in ("use", "location")]
    if "location" in attrs and rng.random() < 0.6:
        shown.insert(0, attrs["location"].title())
    words += [s.title() if s.islower() else s for s in shown]
    words.append(noun)
    if "pack" in measures:
        words.append(_measure_text("pack", measures["pack"]))
    if "use" in attrs and rng.random() < 0.5:
        words.append(f"for {attrs['use'].title()}")
    model = _model(rng, brand)
    if rng.random() < 0.5:
        words.append(model)
    title = " ".join(words)
    description = _description(rng, kind, brand, model, attrs, measures, noun)
    low, high = kind.price
    price = rng.randint(low * 100, high * 100) // 100 * 100 + rng.choice([0, 49, 97, 99])
    return Product(f"d{index:05d}", kind, brand, model, attrs, measures, title, description, price)


def _description(
    rng: random.Random,
    kind: Kind,
    brand: str,
    model: str,
    attrs: dict[str, str],
    measures: dict[str, str],
    noun: str,
) -> str:
    details = ", ".join(f"{n} {v}" for n, v in {**attrs, **measures}.items())
    rooms = rng.sample(ROOMS, 2)
    other = rng.choice(KINDS)
    sentences = [
        f"The {brand} {noun.lower()} (model {model}) is built for everyday use.",
        f"Specifications: {details}.",
        f"Great in the {rooms[0]} or the {rooms[1]}.",
        rng.choice(
            [
                "Backed by a limited lifetime warranty.",
                "Easy to install with basic tools.",
                f"Pairs well with a {other.nouns[0].lower()}.",
                "Ships in recyclable packaging.",
                "Rated 4.5 out of 5 by customers.",
            ]
        ),
    ]
    return " ".join(sentences)


def build_products(rng: random.Random, count: int) -> list[Product]:
    return [
        _product(rng, i, KINDS[i % len(KINDS)] if i < len(KINDS) * 20 else rng.choice(KINDS))
        for i in range(count)
    ]


@dataclass
class Ask:
    """What a query asks for: a type and attributes (or a model number), and its text and kind."""

    id: str
    kind: str
    text: str
    type: str
    attrs: dict[str, str] = field(default_factory=dict)
    model: str | None = None
    brand: str | None = None


def grade(ask: Ask, product: Product) -> int:
    """2 exactly what was asked, 1 partly (the asked type with other attributes, or the asked model's brand
    siblings, or a related type with the asked attributes), 0 not relevant."""
    if ask.model is not None:
        if product.model == ask.model:
            return 2
        return 1 if product.kind.key == ask.type and product.brand == ask.brand else 0
    have = {**product.attrs, **product.measures}
    if ask.brand and product.brand != ask.brand:
        return 1 if product.kind.key == ask.type else 0
    matches = all(have.get(k) == v for k, v in ask.attrs.items())
    if product.kind.key == ask.type:
        return 2 if matches else 1
    if product.kind.key in BY_KEY[ask.type].related and ask.attrs and matches:
        return 1
    return 0


def _typo(rng: random.Random, word: str) -> str:
    """One keyboard slip in ``word``: a dropped, doubled, swapped or inserted letter."""
    if len(word) < 4:
        return word
    i = rng.randint(1, len(word) - 2)
    op = rng.choice(["drop", "double", "swap", "insert"])
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiou") + word[i:]


def _shopper_measure(rng: random.Random, name: str, value: str) -> str:
    """A measure as a shopper types it ("50ft", "4x4", "m8", "60 watt")."""
    if name == "length" and value.isdigit():
        return rng.choice([f"{value}ft", f"{value} ft", f"{value} foot"])
    if name in ("size", "width", "deck", "blade", "height", "thickness", "diameter"):
        bare = value.replace(" in.", "").replace(" ft.", "").replace(" ", "")
        return rng.choice([bare, value.replace(".", "")]).replace("x", " x ") if rng.random() < 0.3 else bare
    if name in ("watt", "volts"):
        return f"{value} {'watt' if name == 'watt' else 'volt'}"
    if name == "gauge":
        return value if "/" in value else f"{value} gauge"
    if name == "thread":
        return value.replace(" in.", "").lower()
    return value


def build_asks(rng: random.Random, products: list[Product]) -> list[Ask]:
    asks: list[Ask] = []
    plan = {
        "keyword": 70,
        "attribute": 60,
        "long-tail": 60,
        "model-number": 50,
        "misspelled": 60,
        "natural-language": 60,
    }
    for kind_name, count in plan.items():
        for n in range(count):
            ask = _ask(rng, kind_name, products)
            ask.id = f"{kind_name[:2]}{n:03d}"
            asks.append(ask)
    return asks


def _noun(rng: random.Random, kind: Kind) -> str:
    """A name of the type that names no attribute value ("charcoal grill" would contradict "propane")."""
    noun = rng.choice(kind.nouns).lower()
    values = {w for vs in kind.attrs.values() for v in vs for w in v.lower().split()}
    return kind.nouns[0].split()[-1].lower() if set(noun.split()[:-1]) & values else noun


def _ask(rng: random.Random, kind_name: str, products: list[Product]) -> Ask:
    kind = rng.choice(KINDS)
    noun = _noun(rng, kind)
    if kind_name == "keyword":
        attrs: dict[str, str] = {}
        if rng.random() < 0.5:
            name = rng.choice(list(kind.attrs))
            attrs[name] = rng.choice(kind.attrs[name])
        words = [*attrs.values(), noun] if rng.random() < 0.8 else [noun, *attrs.values()]
        return Ask("", kind_name, " ".join(words), kind.key, attrs)
    if kind_name == "attribute":
        if not set(kind.measures) - {"pack"}:
            kind = rng.choice([k for k in KINDS if set(k.measures) - {"pack"}])
            noun = _noun(rng, kind)
        sized = [n for n in kind.measures if n != "pack"]
        names = rng.sample(sized, min(len(sized), rng.choice([1, 2])))
        measures = {n: rng.choice(kind.measures[n]) for n in names}
        parts = [_shopper_measure(rng, n, v) for n, v in measures.items()]
        text = " ".join([parts[0], noun, *parts[1:]] if rng.random() < 0.5 else [noun, *parts])
        return Ask("", kind_name, text, kind.key, measures)
    if kind_name == "long-tail":
        product = rng.choice([p for p in products if p.kind is kind])
        names = rng.sample(list(product.attrs), min(2, len(product.attrs)))
        attrs = {n: product.attrs[n] for n in names}
        if product.measures and rng.random() < 0.6:
            name = rng.choice(list(product.measures))
            if name != "pack":
                attrs[name] = product.measures[name]
        parts = [_shopper_measure(rng, n, v) if n in kind.measures else v for n, v in attrs.items()]
        brand = product.brand if rng.random() < 0.5 else None
        text = " ".join(([brand.lower()] if brand else []) + parts + [noun])
        return Ask("", kind_name, text, kind.key, attrs, brand=brand)
    if kind_name == "model-number":
        product = rng.choice(products)
        model = product.model
        shown = rng.choice([model, model.lower(), model.replace("-", " "), f"{product.brand} {model}"])
        return Ask("", kind_name, shown, product.kind.key, model=model, brand=product.brand)
    if kind_name == "misspelled":
        attrs = {}
        if rng.random() < 0.4:
            name = rng.choice(list(kind.attrs))
            attrs[name] = rng.choice(kind.attrs[name])
        words = " ".join([*attrs.values(), noun]).split()
        longest = max(range(len(words)), key=lambda i: len(words[i]) if words[i].isalpha() else 0)
        words = [
            _typo(rng, w) if w.isalpha() and (i == longest or rng.random() < 0.2) else w
            for i, w in enumerate(words)
        ]
        return Ask("", kind_name, " ".join(words), kind.key, attrs)
    need, attrs = rng.choice(kind.needs)
    opener = rng.choice(["", "i need ", "looking for ", "do you have ", "i want "])
    return Ask("", kind_name, opener + need, kind.key, dict(attrs))


def _record(product: Product, rng: random.Random) -> dict[str, object]:
    option = product.kind.colour_option
    options = {"color": product.attrs[option]} if option else {}
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "brand": product.brand,
        "category": product.kind.category,
        "attributes": {"model": product.model, "type": product.kind.key, **product.attrs, **product.measures},
        "currency": "USD",
        "variants": [
            {
                "sku": f"{product.id}-1",
                "options": options,
                "price_minor": product.price,
                "stock": rng.randint(0, 40),
            }
        ],
    }


def write(out: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    products = build_products(rng, count)
    asks = build_asks(rng, products)
    out.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out / "catalog.jsonl.gz", "wb", mtime=0) as raw:
        for product in products:
            raw.write((json.dumps(_record(product, rng)) + "\n").encode())
    with (out / "queries.jsonl").open("w") as fh:
        for ask in asks:
            fh.write(json.dumps({"id": ask.id, "text": ask.text, "kind": ask.kind}) + "\n")
    with (out / "qrels.tsv").open("w") as fh:
        fh.write("query_id\tproduct_id\tgrade\n")
        for ask in asks:
            for product in products:
                g = grade(ask, product)
                if g:
                    fh.write(f"{ask.id}\t{product.id}\t{g}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    write(args.out, args.products, args.seed)


if __name__ == "__main__":
    main()
