"""Pure classification rules: level order, effective classification, the YAML format, patterns."""

from __future__ import annotations

import time

import pytest

from dckit.errors import InvalidArgument
from devstack.testing import repo_root
from governance_service.domain import classification as dom
from governance_service.domain import classification_rules as rdom

# The roadmap's example, verbatim (docs/examples/classification-rules.yaml).
ROADMAP_YAML = (repo_root() / "docs/examples/classification-rules.yaml").read_text()


def test_levels_are_ordered_from_public_to_secret() -> None:
    ranks = [dom.rank(level) for level in ("public", "internal", "confidential", "restricted")]
    assert ranks == sorted(ranks) and dom.rank("secret") == 4


def test_unknown_level_and_compliance_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="top-secret"):
        dom.check_level("top-secret")
    with pytest.raises(InvalidArgument, match="iso27001"):
        dom.check_compliance(["gdpr", "iso27001"])
    assert dom.check_compliance(["SOX", "gdpr", "gdpr"]) == ["gdpr", "sox"]


def test_effective_prefers_own_then_highest_column() -> None:
    email = dom.Label("email", "confidential", ("gdpr",), "rule")
    ssn = dom.Label("ssn", "restricted", ("hipaa",), "manual")
    inherited = dom.effective(None, [email, ssn])
    assert inherited is not None
    assert (inherited.level, inherited.compliance, inherited.source) == (
        "restricted",
        ("gdpr", "hipaa"),
        "inherited",
    )
    own = dom.Label("", "public", (), "manual")
    assert dom.effective(own, [email, ssn]) == own
    assert dom.effective(None, []) is None


def test_roadmap_yaml_loads() -> None:
    specs = {s.name: s for s in rdom.parse_yaml(ROADMAP_YAML)}
    assert len(specs) == 5
    assert specs["PII - SSN/National ID"].compliance == ("gdpr", "hipaa")
    assert specs["Health Records"].tags == ("health", "medical", "phi")
    assert specs["Financial Data"].schema_pattern == "(?i)(finance|accounting|billing)"


def test_decide_column_and_object_rules() -> None:
    rules = [rdom.CompiledRule.of(s) for s in rdom.parse_yaml(ROADMAP_YAML)]
    customers = rdom.Target("public", "customers", frozenset(), ("id", "Email", "ssn", "name"))
    got = {c: (d.rule.level, d.rule.compliance) for c, d in rdom.decide(rules, customers).items()}
    assert got == {"Email": ("confidential", ("gdpr",)), "ssn": ("restricted", ("gdpr", "hipaa"))}
    invoices = rdom.Target("finance", "invoices", frozenset({"phi"}), ("id", "amount"))
    # Two object rules match: equal priority, the higher level wins.
    assert rdom.decide(rules, invoices)[""].rule.name == "Health Records"


def test_priority_beats_level() -> None:
    low = rdom.RuleSpec("low", "secret", column_name_pattern="x", priority=1)
    high = rdom.RuleSpec("high", "internal", column_name_pattern="x", priority=5)
    rules = [rdom.CompiledRule.of(low), rdom.CompiledRule.of(high)]
    target = rdom.Target("s", "t", frozenset(), ("x",))
    assert rdom.decide(rules, target)["x"].rule.name == "high"


def test_disabled_rule_matches_nothing() -> None:
    spec = rdom.RuleSpec("off", "secret", column_name_pattern="x", enabled=False)
    assert (
        rdom.decide([rdom.CompiledRule.of(spec)], rdom.Target("s", "t", frozenset(), ("x",))) == {}
    )


@pytest.mark.parametrize("pattern", ["(abc", "(?=lookahead)", r"(a)\1"])
def test_invalid_pattern_names_the_pattern(pattern: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        rdom.validate(rdom.RuleSpec("bad", "internal", column_name_pattern=pattern))
    assert pattern in str(err.value) and "column_name_pattern" in str(err.value)


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    rule = rdom.CompiledRule.of(rdom.RuleSpec("evil", "secret", column_name_pattern="(a+)+$"))
    name = "a" * 200_000 + "!"
    started = time.perf_counter()
    assert rule.columns(rdom.Target("s", "t", frozenset(), (name,))) == []
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", "invalid YAML"),
        ("- a", "'rules' list"),
        ("rules: [{name: x, match: {column_name_pattern: a}, apply: {level: huge}}]", "huge"),
        ("rules: [{name: x, match: {colum_pattern: a}, apply: {level: public}}]", "colum_pattern"),
        ("rules: [{name: x, match: {}, apply: {level: public}}]", "matches nothing"),
        (
            "rules: [{name: x, match: {tags: [a]}, apply: {level: public}},"
            " {name: x, match: {tags: [b]}, apply: {level: public}}]",
            "duplicate",
        ),
    ],
)
def test_bad_yaml_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        rdom.parse_yaml(text)
