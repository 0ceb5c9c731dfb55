"""A test-only stand-in for pywin32, so xlwings' classic (Windows COM) code imports here.

Classic xlwings imports ``pythoncom``, ``pywintypes``, ``win32api``, ``win32com`` and
friends at module level, and ``ctypes.windll``. These stubs satisfy those imports and
nothing more: they hold no logic of xlwings' own. What runs in the tests is xlwings' real
``udfs.call_udf``, ``udfs.xlfunc``, ``udfs.generate_vba_wrapper``, ``_xlwindows`` value
cleaning and its conversion pipeline. ``install()`` must run before xlwings is imported.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import sys
import types
from typing import Any


class _Anything:
    """Any attribute, any call: enough for module-level code that is never exercised."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Anything:
        return _Anything()

    def __getattr__(self, name: str) -> _Anything:
        return _Anything()


class TimeType(dt.datetime):
    """pywintypes.TimeType: COM dates arrive as this datetime subclass."""


class _TimeZoneInfo(dt.tzinfo):
    @staticmethod
    def utc() -> dt.timezone:
        return dt.timezone.utc


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    module.__getattr__ = lambda attr: _Anything  # type: ignore[attr-defined]
    sys.modules[name] = module
    return module


def install() -> None:
    _module(
        "pywintypes",
        TimeType=TimeType,
        IID=lambda s: s,
        com_error=type("com_error", (Exception,), {}),
        Time=TimeType,
    )
    _module(
        "pythoncom",
        CoInitialize=lambda: None,
        IID_IDispatch="IDispatch",
        TypeIIDs={"IDispatch": _Anything},
    )
    for name in ("win32api", "win32con", "win32gui", "win32process", "win32event"):
        _module(name)
    _module("win32timezone", TimeZoneInfo=_TimeZoneInfo)
    win32com = _module("win32com")
    client = _module(
        "win32com.client",
        CDispatch=_Anything,
        CoClassBaseClass=object,
        Dispatch=_Anything,
        DispatchBaseClass=object,
        DispatchEx=_Anything,
        gencache=_Anything(),
    )
    server = _module("win32com.server")
    for sub in ("dispatcher", "policy", "util"):
        setattr(server, sub, _module(f"win32com.server.{sub}"))
    win32com.client = client  # type: ignore[attr-defined]
    win32com.server = server  # type: ignore[attr-defined]
    ctypes.windll = _Anything()  # type: ignore[attr-defined]
    ctypes.oledll = _Anything()  # type: ignore[attr-defined]


def classic_xlwings() -> Any:
    """Import xlwings' classic UDF machinery for real and make it the active decorators.

    On Windows, ``import xlwings`` binds ``xw.func`` to ``xlwings.udfs.xlfunc`` and
    registers the "excel" engine; here we do the same two steps by hand.
    """
    install()
    import xlwings

    # _xlwindows looks up a pywin32 symbol with ctypes.PyDLL at import time.
    real_pydll = ctypes.PyDLL
    ctypes.PyDLL = _Anything  # type: ignore[misc, assignment]
    try:
        from xlwings import _xlwindows, udfs
    finally:
        ctypes.PyDLL = real_pydll  # type: ignore[misc]
    from xlwings.main import Engine

    xlwings.engines.add(Engine(impl=_xlwindows.engine))
    xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
    xlwings.script = xlwings.sub = udfs.xlsub
    return udfs
