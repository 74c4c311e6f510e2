"""The page kit every sandbox portal is built on (``common``); the portals themselves
live in their provider packages (``sahod.providers.<id>.sandbox_portal``)."""
