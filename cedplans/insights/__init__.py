"""Insights: the state of the social-enterprise market in an area (:mod:`.market`) and
where anchors' spend goes (:mod:`.spend`, with the LM3 multiplier in :mod:`.lm3`), both
over the areas of :mod:`.areas`."""
