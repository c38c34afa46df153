"""Plain-language text of the explanatory pages, kept here so its reading level can be tested."""

THERAPY_TYPES = """
There are many kinds of talking therapy. They differ in what you talk about, how much the
therapist guides the session, and how long treatment lasts. Pick two or three types below to see
them side by side. The numbers come from published research summaries. Each one says what kind of
effect size it is, because numbers from different kinds of studies cannot be compared directly.
"""

SHORT_VS_LONG = """
Short-term psychodynamic therapy usually lasts up to about 40 sessions, often less than a year. It
tends to pick one main problem to work on. Long-term therapy can last a year or more. It aims at
deeper patterns, such as how you relate to other people. Research summaries report how much people
improve by the end of treatment. Some also report how they are doing months or years later.
"""

FOLLOWUP_CAVEAT = """
Be careful when you read this chart. Some numbers compare a treated group with an untreated group.
Others compare the same people before and after treatment. Before-and-after numbers are almost
always larger, because people also improve with time. Only compare bars of the same kind.
"""

DEFENSES = """
Defense mechanisms are ways the mind protects us from painful feelings, often without our knowing
it. Everyone uses them. Some are helpful. Others can cause problems if we lean on them too much.
The source we follow sorts them into two groups: primitive defenses and higher-level ones. Psychodynamic
therapy tries to help people notice these patterns, so they can choose other ways to respond.
"""

CLAIMS = """
The article that started this site makes several claims about how well psychodynamic therapy works.
Here we check each one against the research. We explain our verdict in plain words and list the
studies behind it. Pick a claim to see the details, or share a link to one claim.
"""

GLOSSARY = """
These are the research words used on this site, in plain language. You will also see them as
small help icons next to charts and numbers.
"""

EFFECT_MAP = (
    "Open the chart below to see the effects. Each line is one condition. "
    "A mark shows how much better (right of 0) or worse (left of 0) "
    "people did with psychodynamic therapy than with the comparison, in one trial. "
    "A diamond pools at least 3 trials from one source. "
    "Effects against no real treatment and against another treatment answer different questions, "
    "so they are in separate panels and never pooled together. "
    "Blue marks come from the trial reports; orange marks come from the Metapsy databases, "
    "which work out each effect from the trial's own numbers. The two are never pooled together."
)

EFFECT_MAP_CAPTION = (
    "Effect sizes are standardized (0.2 is small, 0.5 medium, 0.8 large). Lines show 95% confidence "
    "intervals. 'Too few to pool' means fewer than 3 trials from one source. "
)

GLANCE_CAPTION = (
    "'No real treatment' means a waitlist, usual care or a placebo. Pooled values are random-effects "
    "estimates with 95% confidence intervals (statsmodels); fewer than 3 trials from one source are not pooled. "
    "Risk of bias is as rated in the trial table or, where it has none, by the Metapsy database. "
    "Metapsy effects: © Metapsy project (metapsy.org), ODC-By 1.0; each row names its database, DOI and version."
)

COUNTS_CAPTION = (
    "Counts of findings are per comparison (a trial with two comparison groups counts twice). "
    "'No head-to-head test' counts comparisons the paper never tested directly; they are not 'no clear difference'. "
    "'Inactive control' means waitlist, usual care or placebo; 'active' means another therapy or medication."
)
