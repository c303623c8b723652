import numpy as np

import yim.stats.meta as meta


def test_the_public_names_are_importable_from_the_package():
    for name in meta.__all__:
        assert getattr(meta, name) is not None, name


def test_the_documented_quick_start_runs():
    r = np.array([0.10, 0.25, 0.18, 0.05, 0.30])
    n = np.array([120, 80, 200, 60, 150])
    es = meta.escalc("ZCOR", ri=r, ni=n)
    result = meta.RandomEffectsModel("REML", test="t").fit(es.yi, es.vi)
    assert "REML" in result.summary()
    assert result.coefficients[0].df == 4
