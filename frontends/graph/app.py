"""`tf.app` and `tf.flags` (`tf.app.flags`): command-line flags defined with DEFINE_* and parsed
by `tf.app.run()` (or on first read of a flag), as TF1 programs use them."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


class _Flag:
    def __init__(self, name: str, default: Any, help: str, parse: Callable[[str], Any]) -> None:  # noqa: A002
        self.name, self.default, self.help, self.parse = name, default, help, parse
        self.value = default


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("1", "true", "t", "yes", "y"):
        return True
    if low in ("0", "false", "f", "no", "n"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


class FlagValues:
    """The defined flags; attributes read their values (parsing argv on first read)."""

    def __init__(self) -> None:
        object.__setattr__(self, "_flags", {})
        object.__setattr__(self, "_parsed", False)

    def _define(self, flag: _Flag) -> None:
        if flag.name in self._flags:
            raise ValueError(f"flag --{flag.name} is defined twice")
        self._flags[flag.name] = flag

    def __call__(self, argv: list, known_only: bool = False) -> list:
        """Parse `argv` (argv[0] is the program); return the arguments that are not flags
        (with known_only, unknown flags too, left for the program's own parser)."""
        rest = [argv[0]] if argv else []
        args = list(argv[1:])
        while args:
            a = args.pop(0)
            if a == "--":
                rest.extend(args)
                break
            if not a.startswith("-") or a == "-":
                rest.append(a)
                continue
            body = a.lstrip("-")
            name, eq, text = body.partition("=")
            flag = self._flags.get(name)
            if flag is None and name.startswith("no") and name[2:] in self._flags and not eq:
                flag, text, eq = self._flags[name[2:]], "false", "="
            if flag is None and known_only:
                rest.append(a)
                continue
            if flag is None:
                raise ValueError(f"unknown command-line flag {a!r}")
            if not eq:
                if flag.parse is _bool:
                    text = "true"
                elif args:
                    text = args.pop(0)
                else:
                    raise ValueError(f"flag --{name} needs a value")
            flag.value = flag.parse(text)
        object.__setattr__(self, "_parsed", True)
        return rest

    def __getattr__(self, name: str) -> Any:
        flags = self.__dict__["_flags"]
        if name not in flags:
            raise AttributeError(f"no flag --{name} is defined")
        if not self.__dict__["_parsed"]:
            try:
                self(sys.argv)
            except ValueError:
                # e.g. under a test runner whose own arguments are not our flags
                object.__setattr__(self, "_parsed", True)
        return flags[name].value

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._flags:
            raise AttributeError(f"no flag --{name} is defined")
        self._flags[name].value = value

    def __contains__(self, name: str) -> bool:
        return name in self._flags

    def flag_values_dict(self) -> dict:
        """{name: value} of every flag."""
        return {k: f.value for k, f in self._flags.items()}

    def mark_as_parsed(self) -> None:
        """Treat argv as parsed (flags keep their defaults or set values)."""
        object.__setattr__(self, "_parsed", True)

    def is_parsed(self) -> bool:
        """True once argv was parsed."""
        return self._parsed


FLAGS = FlagValues()


def _definer(parse: Callable[[str], Any]) -> Callable:
    def define(name: str, default: Any, help: str = "", *args: Any, **kwargs: Any) -> None:  # noqa: A002
        FLAGS._define(_Flag(name, default, help, parse))

    return define


def _list(text: str) -> list:
    return [t for t in text.split(",") if t]


DEFINE_string = _definer(str)
DEFINE_integer = _definer(int)
DEFINE_float = _definer(float)
DEFINE_boolean = _definer(_bool)
DEFINE_bool = DEFINE_boolean
DEFINE_list = _definer(_list)


def DEFINE_enum(name: str, default: Any, enum_values: list, help: str = "", **kw: Any) -> None:  # noqa: A002, N802
    """A string flag restricted to `enum_values`."""

    def parse(text: str) -> str:
        if text not in enum_values:
            raise ValueError(f"--{name} must be one of {enum_values}, got {text!r}")
        return text

    FLAGS._define(_Flag(name, default, help, parse))


_REQUIRED: list[str] = []


def mark_flag_as_required(flag_name: str, flag_values: Any = None) -> None:
    """`run` refuses to start while this flag is still None."""
    if flag_name not in FLAGS._flags:
        raise ValueError(f"mark_flag_as_required: no flag --{flag_name} is defined")
    _REQUIRED.append(flag_name)


def mark_flags_as_required(flag_names: list, flag_values: Any = None) -> None:
    """mark_flag_as_required for each name."""
    for n in flag_names:
        mark_flag_as_required(n)


def run(main: Callable | None = None, argv: list | None = None) -> None:
    """Parse flags from argv, call main(remaining argv) and exit with its return value."""
    # unknown flags pass through to main (programs may parse them with argparse), as in TF
    rest = FLAGS(list(sys.argv if argv is None else argv), known_only=True)
    missing = [n for n in _REQUIRED if getattr(FLAGS, n) is None]
    if missing:
        raise SystemExit(f"FATAL Flags parsing error: flag --{missing[0]} must have a value")
    if main is None:
        main = sys.modules["__main__"].main
    sys.exit(main(rest))


flags = types.ModuleType(f"{__name__}.flags", "tf.flags / tf.app.flags.")
flags.__dict__.update(
    FLAGS=FLAGS, FlagValues=FlagValues, DEFINE_string=DEFINE_string,
    DEFINE_integer=DEFINE_integer, DEFINE_float=DEFINE_float, DEFINE_boolean=DEFINE_boolean,
    DEFINE_bool=DEFINE_bool, DEFINE_list=DEFINE_list, DEFINE_enum=DEFINE_enum,
)  # fmt: skip
