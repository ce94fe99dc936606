"""{{name}}: proposes to block each principal behind enough findings of an incident of
the configured families.

A responder never acts: it proposes, and the host carries a proposal out only as the
operator's `mode` allows (`dry-run`, `approve`, `enforce`). Start here: change
`respond`, keep the tests in `tests/` in step, and run `pytest` and `./build.sh`.
"""

from aiir_sdk import Incident, PluginInfo, Proposal, Responder, Settings, StoreView, export_responder, log, one_line

SETTINGS = """\
- `families` (list of strings, default `["prompt-injection"]`): the incident families it answers.
- `min_findings` (integer, at least 1, default `3`): findings by one principal in an incident before it is blocked."""


class Block(Responder):
    """The responder: the families it answers and how many findings make a principal blocked."""

    def __init__(self) -> None:
        self.families = ["prompt-injection"]
        self.min_findings = 3

    def info(self) -> PluginInfo:
        return PluginInfo(
            name="{{name}}",
            version="0.1.0",
            description="Proposes to block principals behind repeated findings",
            settings=SETTINGS,
        )

    def configure(self, settings: Settings) -> None:
        # Each accessor records what is wrong with its key and reads on; the SDK
        # reports every problem (and every unknown key) when this returns.
        self.families = settings.strings("families", ["prompt-injection"], max_chars=64)
        self.min_findings = settings.integer("min_findings", 3, min=1)

    def respond(self, incident: Incident, store: StoreView) -> list[Proposal]:
        if incident.family not in self.families:
            return []
        findings = store.findings(incident.id)
        proposals = []
        for principal in incident.principals:
            n = sum(f.principal == principal for f in findings)
            if n >= self.min_findings:
                reason = one_line(f"{n} findings by {principal} in {incident.id}", 1024)
                proposals.append(Proposal.block(principal, reason))
        if not proposals:
            log.info(f"{incident.id}: no principal has {self.min_findings} findings yet")
        return proposals


# The component's export: componentize-py looks for `WitWorld` in this module.
WitWorld = export_responder(Block)
