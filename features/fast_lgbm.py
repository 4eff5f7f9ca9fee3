"""One row through LightGBM's single-row C API: the booster's raw score and TreeSHAP without `Booster.predict`'s setup.

`Booster.predict` builds a predictor, parses its parameters and converts the input on every call: ~50-250 us for
one row, against a few microseconds of tree walking. `LGBM_BoosterPredictForMatSingleRowFastInit` does that setup
once (per booster and prediction type) and `LGBM_BoosterPredictForMatSingleRowFast` then scores one float64 row per
call, through the same `Predictor` code `predict` uses, so the numbers are identical (tests compare them).
"""

from __future__ import annotations

import ctypes
import threading
import weakref

import lightgbm as lgb
import numpy as np
from lightgbm.basic import _LIB

_RAW_SCORE, _CONTRIB = 1, 3  # C_API_PREDICT_RAW_SCORE, C_API_PREDICT_CONTRIB (c_api.h)
_FLOAT64 = 1  # C_API_DTYPE_FLOAT64

# Our own prototypes over the library lightgbm loaded, so lightgbm's function objects keep their settings.
_INIT = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,  # BoosterHandle
    ctypes.c_int,  # predict_type
    ctypes.c_int,  # start_iteration
    ctypes.c_int,  # num_iteration
    ctypes.c_int,  # data_type
    ctypes.c_int32,  # ncol
    ctypes.c_char_p,  # parameter
    ctypes.POINTER(ctypes.c_void_p),  # out FastConfigHandle
)(("LGBM_BoosterPredictForMatSingleRowFastInit", _LIB))
_PREDICT = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,  # FastConfigHandle
    ctypes.c_void_p,  # const void* data (one row, row-major)
    ctypes.POINTER(ctypes.c_int64),  # out_len
    ctypes.c_void_p,  # double* out_result
)(("LGBM_BoosterPredictForMatSingleRowFast", _LIB))
_FREE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(("LGBM_FastConfigFree", _LIB))


def _check(code: int) -> None:
    if code != 0:
        raise lgb.basic.LightGBMError(_LIB.LGBM_GetLastError().decode("utf-8"))


def _free(configs: list[int], booster: lgb.Booster) -> None:
    """Free the FastConfigs; `booster` is passed only so it outlives them (they point into it)."""
    for config in configs:
        _FREE(config)


class SingleRowPredictor:
    """A binary booster's raw score and contributions for one row at a time; safe to share between threads.

    Iterations as `Booster.predict` picks them by default (the best iteration when early stopping set one), so the
    booster's prediction state stays the same whichever path scored last.
    """

    def __init__(self, booster: lgb.Booster) -> None:
        if booster.num_model_per_iteration() != 1:
            raise ValueError(
                "the single-row path handles one model per iteration (binary or regression) only"
            )
        self.booster = booster
        self.width = booster.num_feature()
        handle = ctypes.c_void_p(booster._handle.value)
        configs: list[int] = []
        for kind in (_RAW_SCORE, _CONTRIB):
            out = ctypes.c_void_p()
            _check(
                _INIT(handle, kind, 0, booster.best_iteration, _FLOAT64, self.width, b"", ctypes.byref(out))
            )
            assert out.value is not None
            configs.append(out.value)
        self._raw_config, self._contrib_config = configs
        weakref.finalize(self, _free, configs, booster)
        # output buffers are reused, so one call at a time copies its answer out (LightGBM serialises these calls
        # on the booster anyway)
        self._lock = threading.Lock()
        self._raw = np.zeros(1)
        self._contrib = np.zeros(self.width + 1)
        self._length = ctypes.c_int64()
        self._length_ptr = ctypes.pointer(self._length)

    def _row_address(self, row: np.ndarray) -> tuple[np.ndarray, int]:
        if row.shape != (self.width,):
            raise ValueError(f"expected one row of {self.width} features, got shape {row.shape}")
        if row.dtype != np.float64 or not row.flags.c_contiguous:
            row = np.ascontiguousarray(row, dtype=np.float64)
        return row, row.ctypes.data

    def raw(self, row: np.ndarray) -> float:
        """The raw score (log-odds) of one row, as `predict(raw_score=True)` gives it."""
        row, address = self._row_address(row)  # `row` stays referenced for the call
        with self._lock:
            _check(_PREDICT(self._raw_config, address, self._length_ptr, self._raw.ctypes.data))
            return float(self._raw[0])

    def contributions(self, row: np.ndarray) -> np.ndarray:
        """Per-feature TreeSHAP values of one row, then the expected value, as `predict(pred_contrib=True)`."""
        row, address = self._row_address(row)
        with self._lock:
            _check(_PREDICT(self._contrib_config, address, self._length_ptr, self._contrib.ctypes.data))
            return self._contrib.copy()
