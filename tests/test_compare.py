"""The slowdown measured inside a network: paired runs under each cost from the saturated start,
probed every few mini-batches."""

from __future__ import annotations

import numpy as np
import pytest

from xentlab.errors import XentlabError
from xentlab.experiments.compare import CompareSpec, compare, prepare_cost_run

EPOCHS = 8


@pytest.fixture(scope="module")
def saturated():
    return compare(
        CompareSpec.of(init="saturated", eta=0.5, epochs=EPOCHS, seeds=(1,), fine_epochs=2)
    )


def test_runs_are_paired_and_probed_at_the_start_and_every_few_mini_batches(saturated):
    quadratic, entropy = saturated.of("quadratic")[0], saturated.of("cross-entropy")[0]
    per_epoch = quadratic.per_epoch
    assert per_epoch == entropy.per_epoch == 108  # 1,078 digits in mini-batches of 10
    for run in (quadratic, entropy):
        batches = [p.batches for p in run.probes]
        # Every 10 mini-batches in the first two epochs, then at each epoch's end.
        assert batches[:4] == [0, 10, 20, 30]
        assert batches[-(EPOCHS - 2) :] == [per_epoch * e for e in range(3, EPOCHS + 1)]
        assert batches == sorted(set(batches))
        assert len(run.probes[0].delta_mean) == len(run.probes[0].gradient_norm) == 2
    # Identical initial weights: the same start is measured under both costs.
    first_q, first_e = quadratic.probes[0], entropy.probes[0]
    assert first_q.validation_accuracy == first_e.validation_accuracy
    assert first_q.saturation == first_e.saturation == 1.0
    assert first_q.saturated_wrong == first_e.saturated_wrong == pytest.approx(0.9)


def test_cross_entropy_escapes_saturation_at_once_and_the_quadratic_cost_stalls(saturated):
    quadratic, entropy = saturated.of("quadratic")[0], saturated.of("cross-entropy")[0]

    def escaped(run):  # the first probe with fewer than 10% of outputs saturated and wrong
        return next(p.batches for p in run.probes if p.saturated_wrong < 0.1)

    # Within the first 10 mini-batches cross-entropy's saturated-and-wrong outputs are gone,
    # while the quadratic cost keeps them all for 40 and takes at least four times as long.
    assert escaped(entropy) <= 10
    assert all(p.saturated_wrong > 0.85 for p in quadratic.probes if p.batches <= 40)
    assert escaped(quadratic) >= 4 * escaped(entropy)
    # The output layer's δ is what differs: σ'(z) ≈ 0.0025 shrinks the quadratic one.
    assert quadratic.probes[0].delta_mean[-1] < entropy.probes[0].delta_mean[-1] / 100
    # Cross-entropy reaches 80% validation accuracy in at most half the mini-batches.
    reached = entropy.batches_to_reach(0.8)
    assert reached is not None
    needed = quadratic.batches_to_reach(0.8) or EPOCHS * quadratic.per_epoch + 1
    assert reached <= needed / 2
    median = saturated.batches_to_reach("cross-entropy", 0.8)
    assert not median.exceeds and median.value == reached


def test_the_result_serialises_to_json_and_rows(saturated):
    import json

    document = json.loads(json.dumps(saturated.to_dict()))
    assert [run["cost"] for run in document["runs"]] == ["quadratic", "cross-entropy"]
    assert document["sizes"] == [64, 30, 10]
    rows = saturated.rows()
    assert len(rows) == sum(len(run.probes) for run in saturated.runs)
    assert {"cost", "seed", "batches", "saturated_wrong", "delta_mean_2"} <= set(rows[0])
    assert {row["cost"] for row in rows} == {"quadratic", "cross-entropy"}
    assert np.isfinite([row["training_cost"] for row in rows]).all()


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"costs": ()}, "costs must name at least one cost"),
        ({"costs": ("quadratic", "hinge")}, "cost must be one of"),
        ({"costs": ("quadratic", "quadratic")}, "costs must not repeat; got quadratic twice"),
        ({"costs": ("quadratic/sigmoid", "quadratic")}, "quadratic/sigmoid and quadratic, both"),
        ({"eta": {"quadratic": 3.0}}, "eta for cross-entropy"),
        ({"eta": {"quadratic": 3.0, "cross-entropy": 0.5, "log-likelihood": 1.0}}, "not compared"),
        ({"eta": -1.0}, "eta for quadratic must be a finite number > 0"),
        ({"seeds": ()}, "seeds must be one or more"),
        ({"seeds": tuple(range(60))}, "at most 100 runs"),
        ({"probe_every": 0}, "probe_every must be an integer >= 1"),
        ({"probes_per_epoch": 0}, "probes_per_epoch must be an integer >= 1"),
        ({"init": "huge"}, "init must be one of"),
        ({"costs": ("quadratic", "cross-entropy/linear")}, "does not go with a linear output"),
        ({"costs": ("quadratic/",)}, "an output must follow the '/'"),
        ({"cost": "quadratic", "output": "linear"}, "output is set contender by contender"),
    ],
)
def test_bad_comparisons_are_refused_before_training(changes, needle):
    with pytest.raises(XentlabError, match=needle):
        compare(CompareSpec.of(**changes))


def test_probes_per_epoch_sets_the_interval_from_the_data_and_runs_share_their_start():
    spec = CompareSpec.of(init="saturated", epochs=1, fine_epochs=1, probes_per_epoch=4)
    (quadratic, q_probe), (entropy, e_probe) = (
        prepare_cost_run(spec, cost, 3) for cost in ("quadratic", "cross-entropy")
    )
    assert q_probe.every == e_probe.every == 27  # 108 mini-batches of digits an epoch, / 4
    assert [p.batches for p in q_probe.records] == [0]  # the start, measured before training
    assert q_probe.records[0].saturation == e_probe.records[0].saturation == 1.0
    q_weights, e_weights = quadratic.state.network.weights, entropy.state.network.weights
    for mine, theirs in zip(q_weights, e_weights, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    quadratic.train([q_probe], chunk=q_probe.every)
    assert [p.batches for p in q_probe.records] == [0, 27, 54, 81, 108]


def test_three_contenders_on_the_digits_a_linear_output_beside_the_two_sigmoid_ones():
    """quadratic/linear trains the same network from the same start with a linear output under
    the quadratic cost: its δ = a − y has no σ'(z), so it leaves the saturated start at once,
    and it never counts as saturated."""
    contenders = ("quadratic", "cross-entropy", "quadratic/linear")
    etas = {"quadratic": 0.5, "cross-entropy": 0.5, "quadratic/linear": 0.1}
    spec = CompareSpec.of(
        costs=contenders, eta=etas, init="saturated", epochs=2, seeds=(1,), fine_epochs=1
    )
    result = compare(spec)
    assert [run.cost for run in result.runs] == list(contenders)
    (quadratic,), (linear,) = result.of("quadratic"), result.of("quadratic/linear")
    assert linear.eta == 0.1 and linear.per_epoch == quadratic.per_epoch
    # the same weights: the same most active outputs, so the same accuracy at the start
    assert linear.probes[0].validation_accuracy == quadratic.probes[0].validation_accuracy
    assert all(p.saturation == p.saturated_wrong == 0.0 for p in linear.probes)
    assert linear.probes[0].delta_mean[-1] > 100 * quadratic.probes[0].delta_mean[-1]
    # within 10 mini-batches its cost has fallen to a tenth; the quadratic one has not moved
    assert linear.probes[1].training_cost < linear.probes[0].training_cost / 10
    assert quadratic.probes[1].training_cost > 0.99 * quadratic.probes[0].training_cost
    assert result.to_dict()["spec"]["costs"] == list(contenders)
    assert {row["cost"] for row in result.rows()} == set(contenders)


def test_a_contender_is_written_as_its_label():
    spec = CompareSpec.of(costs=("quadratic/sigmoid", "quadratic/linear"), epochs=1)
    assert spec.costs == ("quadratic", "quadratic/linear")
    assert spec.run_settings("quadratic/linear", 3)["output"] == "linear"
    assert spec.run_settings("quadratic", 3)["output"] is None
