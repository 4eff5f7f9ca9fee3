"""What more than one command shares, declared once: the options (names, types and help never drift apart), the
training settings as flags, and the one-line error exit."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Annotated, Any, NoReturn, get_type_hints

import typer
from pydantic import ValidationError

from training.config import TrainSettings

ModelUriOption = Annotated[str, typer.Option(help="Model URI, e.g. models:/lead-scoring@champion.")]
ServiceModelOption = Annotated[
    str | None,
    typer.Option(help="Model URI (default: LEADSCORE_MODEL_URI, else models:/lead-scoring@champion)."),
]
ModelNameOption = Annotated[str, typer.Option(help=TrainSettings.model_fields["model_name"].description)]
DatabaseOption = Annotated[
    str | None,
    typer.Option(help="Lead store URL (default: LEADSCORE_DATABASE_URL, else sqlite:///leadscore.db)."),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        help="Leads that arrived at or after this date or time (UTC if no zone; default: 7 days before --until, "
        "LEADSCORE_MONITOR_DAYS)."
    ),
]
UntilOption = Annotated[
    str | None, typer.Option(help="Leads that arrived before this date or time (default: now).")
]
ProgressOption = Annotated[bool, typer.Option(help="Show progress bars on stderr.")]
StrictOption = Annotated[
    bool,
    typer.Option(
        help="Refuse a file that lacks any of the model's feature columns (without it: a warning, and those "
        "features are scored as missing)."
    ),
]
SETTINGS = "train_settings"  # the parameter `with_train_settings` fills


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with one `error:` line on stderr (exit code 2: the input is wrong)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def moment(value: str | None, flag: str) -> datetime | None:
    """A date or ISO 8601 time given on the command line, as an aware UTC time (UTC when it names no zone)."""
    from serving.store.clock import as_utc

    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # overflow: a time at the edge of year 1 or 9999 that UTC cannot hold
        fail(f"{flag}: not a date: {value!r}; use YYYY-MM-DD or an ISO 8601 time")


def with_train_settings(command: Callable[..., Any]) -> Callable[..., Any]:
    """Make one option of each `TrainSettings` field (its type, default and description as help) in place of the
    command's `train_settings` parameter, and call the command with them checked and gathered into that parameter.

    A value out of range ends the command with one line naming the flag, before the command reads anything.
    """
    fields = TrainSettings.model_fields
    hints = get_type_hints(command, include_extras=True)
    if SETTINGS not in hints:
        raise TypeError(f"{command.__name__} has no {SETTINGS} parameter to fill")
    params: list[inspect.Parameter] = []
    for param in inspect.signature(command).parameters.values():
        if param.name != SETTINGS:
            params.append(param.replace(kind=param.KEYWORD_ONLY, annotation=hints[param.name]))
            continue
        for name, field in fields.items():
            # a type built at run time, which mypy cannot follow
            option = Annotated[field.annotation, typer.Option(help=field.description)]  # type: ignore[name-defined]
            params.append(
                inspect.Parameter(name, param.KEYWORD_ONLY, default=field.default, annotation=option)
            )

    @wraps(command)
    def wrapper(**values: Any) -> Any:
        given = {name: values.pop(name) for name in fields}
        try:
            settings = TrainSettings(**given)
        except ValidationError as error:
            first = error.errors()[0]
            fail(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}")
        return command(**values, **{SETTINGS: settings})

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]  # what typer reads
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper
