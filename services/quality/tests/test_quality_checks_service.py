"""Quality rules, check runs, profiles and suggestions through the quality service's gRPC API
on a real source: what is stored, what each role sees (masking port), what is announced, and
the errors a caller can hit. Rule-by-rule correctness is in test_rule_checks.py."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import field_mask_pb2
from quality_testkit import OBJ, Stack, outbox_events, struct

from datacompass.common.v1 import audit_pb2, refs_pb2
from datacompass.quality.v1 import quality_rules_pb2 as cpb
from devstack.testing import eventually
from quality_service.domain import quality_checks as scoring

VIEWER = (("x-dc-role", "viewer"), ("x-dc-actor", "vera"))
EDITOR = (("x-dc-role", "editor"), ("x-dc-actor", "ed"))
ADMIN = (("x-dc-role", "admin"), ("x-dc-actor", "ada"))
CATEGORY = 6
QTY = 7


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


async def add(stack: Stack, rule_type: str, column: str = "", meta=EDITOR, **kw) -> cpb.QualityRule:  # type: ignore[no-untyped-def]
    config = kw.pop("config", {})
    return await stack.rules.CreateQualityRule(
        cpb.CreateQualityRuleRequest(
            object=OBJ, column=column, rule_type=rule_type, config=struct(config), **kw
        ),
        metadata=meta,
    )


async def test_a_check_run_records_passed_and_failed_checks_with_samples(stack: Stack) -> None:
    rows = stack.rows.rows
    null_qty = sum(1 for r in rows if r[QTY] is None)
    not_abc = sum(1 for r in rows if r[CATEGORY] not in ("a", "b", "c"))
    assert null_qty and not_abc  # the generated data has both defects

    ids = await add(stack, "not_null", "id", severity="error")
    qty = await add(stack, "not_null", "qty", severity="error")
    cat = await add(
        stack, "value_in_set", "category", config={"allowed_values": ["a", "b", "c"]},
        severity="critical", blocking=True,
    )  # fmt: skip
    assert cat.category == "validity" and cat.created_by == "ed" and cat.expected

    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=ADMIN)
    by_rule = {c.rule_id: c for c in run.checks}
    assert by_rule[ids.id].status == cpb.QUALITY_CHECK_STATUS_PASSED
    assert by_rule[ids.id].failure_count == 0
    assert by_rule[qty.id].status == cpb.QUALITY_CHECK_STATUS_FAILED
    assert by_rule[qty.id].failure_count == null_qty
    assert by_rule[qty.id].total_count == len(rows)
    assert by_rule[qty.id].failure_percentage == pytest.approx(100 * null_qty / len(rows), 0.01)
    assert by_rule[cat.id].failure_count == not_abc
    samples = list(by_rule[cat.id].sample_failures)
    assert 0 < len(samples) <= 10
    assert all(s["values"]["category"] == "d" for s in samples)
    # Each failing row comes with its primary key, so it can be found.
    ids_of_d = {r[0] for r in rows if r[CATEGORY] == "d"}
    assert all(int(s["values"]["id"]) in ids_of_d for s in samples)
    # A blocking rule failed: the run failed, and both events went out with the run.
    assert run.status == cpb.CHECK_RUN_STATUS_FAILED and run.object_urn.startswith("urn:dcs:")
    assert (run.passed, run.failed) == (1, 2)
    completed = await outbox_events(stack, "datacompass.quality.check.completed")
    failed = await outbox_events(stack, "datacompass.quality.check.failed")
    assert len(completed) == 1 and len(failed) == 1
    announced = cpb.CheckRunFinished()
    failed[0].data.Unpack(announced)
    assert announced.run.id == run.id
    # Events carry outcomes, never sample values.
    assert all(len(c.sample_failures) == 0 for c in announced.run.checks)

    # The score: the latest check of every rule, per dimension, weighted.
    got = await stack.rules.GetQualityScore(cpb.GetQualityScoreRequest(object=OBJ))
    completeness = (100.0 + (100.0 - 100 * null_qty / len(rows))) / 2
    validity = 100.0 - 100 * not_abc / len(rows)
    w = scoring.WEIGHTS
    expected = (completeness * w["completeness"] + validity * w["validity"]) / (
        w["completeness"] + w["validity"]
    )
    assert got.score == pytest.approx(expected, abs=0.02)
    assert got.dimensions["completeness"] == pytest.approx(completeness, abs=0.01)
    assert got.checks_counted == 3 and got.run_id == run.id
    assert run.quality_score == pytest.approx(got.score)


async def test_sample_values_are_masked_for_roles_that_are_not_exempt(stack: Stack) -> None:
    stack.masker.rules["category"] = ("steward", "admin")
    await add(stack, "value_in_set", "category", config={"allowed_values": ["a"]})
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=ADMIN)
    assert {s["values"]["category"] for s in run.checks[0].sample_failures} <= {"b", "c", "d"}

    seen = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=run.id), metadata=VIEWER)
    assert {s["values"]["category"] for s in seen.checks[0].sample_failures} == {"****"}
    # Stored clear: an exempt role reading later sees the values.
    clear = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=run.id), metadata=ADMIN)
    assert "****" not in {s["values"]["category"] for s in clear.checks[0].sample_failures}

    profile = await stack.rules.StartProfile(
        cpb.StartProfileRequest(object=OBJ, columns=["category", "qty"], wait=True),
        metadata=VIEWER,
    )
    cols = {c.column: c for c in profile.columns}
    assert {v["value"] for v in cols["category"].stats["most_common_values"]} == {"****"}
    assert "most_common_values" in cols["category"].masked
    assert not cols["qty"].masked
    assert cols["qty"].stats["max_value"] == max(r[QTY] for r in stack.rows.rows if r[QTY])
    steward = (("x-dc-role", "steward"),)
    col = await stack.rules.GetColumnProfile(
        cpb.GetColumnProfileRequest(object=OBJ, column="category"), metadata=steward
    )
    assert {v["value"] for v in col.stats["most_common_values"]} == {"a", "b", "c", "d"}
    # Without a role (no gateway in front), values are masked: fail closed.
    anonymous = await stack.rules.GetColumnProfile(
        cpb.GetColumnProfileRequest(object=OBJ, column="category")
    )
    assert {v["value"] for v in anonymous.stats["most_common_values"]} == {"****"}


async def test_profile_history_suggestions_and_accepting_them(stack: Stack) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.rules.GetObjectProfile(cpb.GetObjectProfileRequest(object=OBJ))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.rules.SuggestRules(cpb.SuggestRulesRequest(object=OBJ))
    assert "profile it first" in (err.value.details() or "")

    started = await stack.rules.StartProfile(
        cpb.StartProfileRequest(object=OBJ, wait=False), metadata=EDITOR
    )
    assert started.status in (cpb.PROFILE_RUN_STATUS_RUNNING, cpb.PROFILE_RUN_STATUS_SUCCEEDED)

    async def first_done() -> bool:
        got = await stack.rules.GetProfileRun(cpb.GetProfileRunRequest(id=started.id))
        return got.status == cpb.PROFILE_RUN_STATUS_SUCCEEDED

    await eventually(first_done)
    done = await stack.rules.StartProfile(
        cpb.StartProfileRequest(object=OBJ, sample_rows=200, wait=True), metadata=EDITOR
    )
    assert done.status == cpb.PROFILE_RUN_STATUS_SUCCEEDED, done.error
    assert done.sampled and 0 < done.sample_size <= len(stack.rows.rows)
    assert done.steps_done == done.steps_total > 0
    assert done.row_count == len(stack.rows.rows)

    history = await stack.rules.ListColumnProfiles(
        cpb.ListColumnProfilesRequest(object=OBJ, column="qty")
    )
    assert len(history.items) == 2  # one row per profile run, newest first
    assert history.items[0].profile_run_id == done.id

    # A later profile of one column: suggestions still cover every column's newest profile.
    await stack.rules.StartProfile(
        cpb.StartProfileRequest(object=OBJ, columns=["qty"], wait=True), metadata=EDITOR
    )
    suggested = await stack.rules.SuggestRules(cpb.SuggestRulesRequest(object=OBJ))
    keys = {s.key for s in suggested.items}
    assert "id:not_null" in keys and "id:unique" in keys
    assert "category:value_in_set" in keys
    assert suggested.profile_run_id == done.id + 1

    accepted = await stack.rules.AcceptSuggestions(
        cpb.AcceptSuggestionsRequest(object=OBJ, keys=["id:not_null", "id:unique"]),
        metadata=EDITOR,
    )
    assert sorted(r.rule_type for r in accepted.created) == ["not_null", "unique"]
    again = await stack.rules.AcceptSuggestions(
        cpb.AcceptSuggestionsRequest(object=OBJ, keys=["id:not_null"]), metadata=EDITOR
    )
    assert list(again.skipped) == ["id:not_null"] and not again.created
    listed = await stack.rules.SuggestRules(cpb.SuggestRulesRequest(object=OBJ))
    assert {s.key for s in listed.items if s.exists} == {"id:not_null", "id:unique"}
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=EDITOR)
    assert run.status == cpb.CHECK_RUN_STATUS_PASSED and run.passed == 2


async def test_errors_a_caller_can_hit(stack: Stack) -> None:
    async def code_of(call) -> tuple[grpc.StatusCode, str]:  # type: ignore[no-untyped-def]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        return err.value.code(), err.value.details() or ""

    code, text = await code_of(add(stack, "value_in_set", "category", config={"allowed": [1]}))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "rule_config." in text
    code, text = await code_of(add(stack, "not_null", "no_such_column"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "no_such_column" in text
    code, _ = await code_of(
        stack.rules.CreateQualityRule(
            cpb.CreateQualityRuleRequest(
                object=refs_pb2.ObjectRef(qualified_name="shop.sales.nope"),
                column="id",
                rule_type="not_null",
            )
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    sql = {"sql": "SELECT * FROM sales.events WHERE qty > 8"}
    code, text = await code_of(add(stack, "custom_sql", config=sql, meta=EDITOR))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "admin" in text
    custom = await add(stack, "custom_sql", config=sql, meta=ADMIN)
    code, _ = await code_of(
        stack.rules.DeleteQualityRule(cpb.DeleteQualityRuleRequest(id=custom.id), metadata=EDITOR)
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    await stack.rules.DeleteQualityRule(cpb.DeleteQualityRuleRequest(id=custom.id), metadata=ADMIN)
    # validate_only (a capsule apply's check): the same errors, and nothing written.
    code, text = await code_of(
        add(stack, "value_in_set", "category", config={"allowed": [1]}, validate_only=True)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "rule_config." in text
    code, _ = await code_of(add(stack, "custom_sql", config=sql, meta=EDITOR, validate_only=True))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    checked = await add(stack, "value_in_set", "category", config={"allowed_values": ["a"]},
                        validate_only=True)  # fmt: skip
    assert checked.id == 0 and checked.category == "validity"
    assert checked.config["allowed_values"] == ["a"]  # the config as it would be stored
    # Nothing half-written: the refused rules do not exist.
    listed = await stack.rules.ListQualityRules(cpb.ListQualityRulesRequest(object=OBJ))
    assert list(listed.items) == []
    code, text = await code_of(stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "no enabled quality rules" in text
    code, _ = await code_of(
        stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ, rule_ids=[424242]))
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    code, _ = await code_of(
        stack.rules.StartProfile(cpb.StartProfileRequest(object=OBJ, columns=["nope"]))
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    dup = await add(stack, "not_null", "id", name="ids present")
    code, _ = await code_of(add(stack, "not_null", "qty", name="ids present"))
    assert code == grpc.StatusCode.ALREADY_EXISTS
    code, text = await code_of(
        stack.rules.UpdateQualityRule(
            cpb.UpdateQualityRuleRequest(
                id=dup.id,
                rule=cpb.QualityRule(severity="catastrophic"),
                update_mask=mask("severity"),
            )
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "severity" in text


async def test_updates_are_audited_and_a_rule_whose_column_is_gone_is_skipped(
    stack: Stack,
) -> None:
    rule = await add(stack, "not_null", "name")
    other = await add(stack, "not_null", "id")
    updated = await stack.rules.UpdateQualityRule(
        cpb.UpdateQualityRuleRequest(
            id=rule.id,
            rule=cpb.QualityRule(severity="critical", enabled=True),
            update_mask=mask("severity", "enabled"),
        ),
        metadata=EDITOR,
    )
    assert updated.severity == "critical"
    audits = await stack.own_sql(
        "SELECT event_type FROM quality.outbox WHERE event_type LIKE 'datacompass.audit%'"
    )
    assert len(audits) == 3  # two creations and one update

    await stack.source_sql("ALTER TABLE sales.events DROP COLUMN name")
    await stack.rescan()
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ))
    by_rule = {c.rule_id: c for c in run.checks}
    assert by_rule[rule.id].status == cpb.QUALITY_CHECK_STATUS_SKIPPED
    assert "name" in by_rule[rule.id].error
    assert by_rule[other.id].status == cpb.QUALITY_CHECK_STATUS_PASSED
    assert run.status == cpb.CHECK_RUN_STATUS_PASSED and run.skipped == 1


async def test_rule_configs_holding_values_are_masked_like_samples(stack: Stack) -> None:
    stack.masker.rules["category"] = ("admin",)
    made = await add(stack, "value_in_set", "category", config={"allowed_values": ["a", "b"]})
    seen = await stack.rules.GetQualityRule(cpb.GetQualityRuleRequest(id=made.id), metadata=VIEWER)
    assert list(seen.config["allowed_values"]) == ["****", "****"]
    listed = await stack.rules.ListQualityRules(
        cpb.ListQualityRulesRequest(object=OBJ), metadata=ADMIN
    )
    assert list(listed.items[0].config["allowed_values"]) == ["a", "b"]


async def test_values_quoted_by_checks_are_masked_and_never_in_events(stack: Stack) -> None:
    stack.masker.rules["category"] = ("admin",)
    stack.masker.rules["amount"] = ("admin",)
    in_set = await add(stack, "value_in_set", "category", config={"allowed_values": ["a", "b"]})
    mean = await add(
        stack, "statistical_threshold", "amount", config={"statistic": "mean", "max": 1.0}
    )
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=VIEWER)
    by_rule = {c.rule_id: c for c in run.checks}
    assert by_rule[in_set.id].expected_value == "****"
    assert by_rule[mean.id].status == cpb.QUALITY_CHECK_STATUS_WARNING
    assert not by_rule[mean.id].HasField("measured_value")  # the mean of a masked column
    assert by_rule[in_set.id].failure_count > 0  # counts are not values: shown
    clear = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=run.id), metadata=ADMIN)
    by_rule = {c.rule_id: c for c in clear.checks}
    assert "a" in by_rule[in_set.id].expected_value
    amounts = [r[4] for r in stack.rows.rows if r[4] is not None]
    assert by_rule[mean.id].measured_value == pytest.approx(
        float(sum(amounts) / len(amounts)), rel=1e-9
    )
    (event,) = await outbox_events(stack, "datacompass.quality.check.completed")
    announced = cpb.CheckRunFinished()
    event.data.Unpack(announced)
    for check in announced.run.checks:
        assert not check.expected_value and not check.details and not check.sample_failures
    assert not {c.rule_id: c for c in announced.run.checks}[mean.id].HasField("measured_value")
    # A PATCH answers with the rule as the caller may see it.
    patched = await stack.rules.UpdateQualityRule(
        cpb.UpdateQualityRuleRequest(
            id=in_set.id, rule=cpb.QualityRule(description="x"), update_mask=mask("description")
        ),
        metadata=EDITOR,
    )
    assert list(patched.config["allowed_values"]) == ["****", "****"]


async def test_custom_sql_samples_are_for_admins_and_masking_outages_withhold_values(
    stack: Stack,
) -> None:
    sql = {"sql": "SELECT id, category FROM sales.events WHERE category = 'd'"}
    custom = await add(stack, "custom_sql", config=sql, meta=ADMIN)
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=ADMIN)
    assert run.checks[0].sample_failures
    seen = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=run.id), metadata=VIEWER)
    assert seen.checks[0].rule_id == custom.id and not seen.checks[0].sample_failures

    stack.masker.down = True
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=run.id), metadata=ADMIN)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    # A new run is recorded and answered, its values withheld rather than failing the call
    # (a scheduler would otherwise run it again).
    again = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=ADMIN)
    assert again.status == cpb.CHECK_RUN_STATUS_WARNING and again.checks[0].failure_count > 0
    assert not again.checks[0].sample_failures
    assert "withheld" in again.checks[0].details["values_withheld"]


async def test_a_run_of_some_rules_scores_every_enabled_rule(
    stack: Stack,
) -> None:
    good = await add(stack, "not_null", "id")
    await add(stack, "not_null", "qty")
    full = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ))
    part = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ, rule_ids=[good.id]))
    assert part.status == cpb.CHECK_RUN_STATUS_PASSED
    assert part.quality_score == pytest.approx(full.quality_score)  # qty's failure still counts


async def test_custom_sql_cannot_switch_the_session_to_writing(stack: Stack) -> None:
    """set_config() may change the session's defaults, but each statement runs in a read-only
    transaction of its own: the next statement still cannot write."""
    unlock = {"sql": "SELECT set_config('default_transaction_read_only', 'off', false) AS x"}
    # A function that writes: the only way a SELECT can (a data-modifying WITH is refused
    # inside the subquery every custom SQL is wrapped in).
    await stack.source_sql(
        "CREATE FUNCTION sales.purge() RETURNS bigint LANGUAGE sql AS "
        "'DELETE FROM sales.events WHERE id = 1 RETURNING id'"
    )
    write = {"sql": "SELECT sales.purge() AS purged"}
    await add(stack, "custom_sql", config=unlock, meta=ADMIN, name="unlock")
    await add(stack, "custom_sql", config=write, meta=ADMIN, name="write")
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=ADMIN)
    by_name = {c.rule_name: c for c in run.checks}
    assert by_name["write"].status == cpb.QUALITY_CHECK_STATUS_ERROR
    assert "read-only" in by_name["write"].error
    assert (await stack.source_sql("SELECT count(*) AS n FROM sales.events WHERE id = 1"))[0][
        "n"
    ] == 1


async def test_source_errors_quoting_values_are_redacted_for_viewers_lists_and_events(
    stack: Stack,
) -> None:
    """A source's error may quote the value it choked on (`invalid input syntax for type
    integer: "..."`): viewers, listings and events get the literal redacted."""
    sql = {"sql": "SELECT id FROM sales.events WHERE id = 'top-secret-42'::integer"}
    await add(stack, "custom_sql", config=sql, meta=ADMIN)
    run = await stack.rules.RunChecks(cpb.RunChecksRequest(object=OBJ), metadata=ADMIN)
    assert "top-secret-42" in run.checks[0].error  # the admin who wrote the SQL sees it
    seen = await stack.rules.GetCheckRun(cpb.GetCheckRunRequest(id=run.id), metadata=VIEWER)
    listed = await stack.rules.ListCheckRuns(cpb.ListCheckRunsRequest(object=OBJ), metadata=VIEWER)
    (event,) = await outbox_events(stack, "datacompass.quality.check.completed")
    announced = cpb.CheckRunFinished()
    event.data.Unpack(announced)
    for shown in (seen, *listed.items, announced.run):
        assert "top-secret-42" not in str(shown)
        assert 'integer: "***"' in shown.checks[0].error, shown.checks[0].error


def test_redact_literals() -> None:
    assert scoring.redact_literals("""bad 'a''b' and "x\\"y" in column""") == (
        """bad '***' and "***" in column"""
    )
    assert scoring.redact_literals("no quotes") == "no quotes"


async def test_audit_records_of_rules_hold_masked_values(stack: Stack) -> None:
    """Accepting a suggested value set writes an audit record: stewards read the trail and
    may not be exempt, so the values are recorded as the least role sees them."""
    stack.masker.rules["category"] = ("admin",)
    await stack.rules.StartProfile(cpb.StartProfileRequest(object=OBJ, wait=True), metadata=ADMIN)
    accepted = await stack.rules.AcceptSuggestions(
        cpb.AcceptSuggestionsRequest(object=OBJ, keys=["category:value_in_set"]), metadata=ADMIN
    )
    (rule,) = accepted.created
    assert sorted(rule.config["allowed_values"]) == ["a", "b", "c", "d"]  # exempt: clear
    await stack.rules.DeleteQualityRule(cpb.DeleteQualityRuleRequest(id=rule.id), metadata=ADMIN)
    records = []
    for envelope in await outbox_events(stack, "datacompass.audit.recorded"):
        record = audit_pb2.AuditRecord()
        envelope.data.Unpack(record)
        records.append(record)
    configs = [
        json.loads(text)
        for r in records
        for change in r.changes
        if change.field == "config" and r.action.startswith("quality_rule.")
        for text in (change.old_json, change.new_json)
        if text and text != "null"
    ]
    assert len(configs) == 2  # the creation and the deletion
    for config in configs:
        assert config["allowed_values"] and set(config["allowed_values"]) == {"****"}
