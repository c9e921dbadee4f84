"""CED plans: community economic development plans for a site or for one problem or
opportunity of a macro asset, linked to the micro assets that can help."""
