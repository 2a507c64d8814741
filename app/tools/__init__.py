"""Tool calling without the UI: the tools offered to a model, and running what it calls.

`ToolSet` holds the built-in tools (date and time, calculator, and, when the config allows
folders, reading files) and the user's own from `[[tools.custom]]`. `ToolSet.run` never
raises for a bad call: an unknown tool, arguments that do not fit the schema, a timeout
or a failing program all become the result the model gets, starting with `Error:`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .builtins import (
    CALCULATOR_DESCRIPTION,
    Folders,
    ToolError,
    calculator,
    current_time,
    list_directory,
    read_file,
)
from .runner import ArgumentError, build_argv, run_program
from .schema import check_arguments

if TYPE_CHECKING:
    from ..config import ToolsConfig, UserToolConfig
    from ..models import ToolCall

Answer = Literal["yes", "always", "no"]
"""The user's answer before a tool of their own runs: once, always (this session), no."""
Confirm = Callable[["UserToolConfig", list[str]], Awaitable[Answer]]
"""Asks the user whether to run a tool of their own with this exact argv."""

REFUSED = "The user refused to run this tool."
"""The result the model gets when the user says no."""


@dataclass(frozen=True)
class Outcome:
    """The result of one tool call."""

    content: str
    """What the model gets as the `tool` message."""
    error: str | None = None
    """What went wrong, for the user (None if it worked, or the user refused)."""


def _function(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


class ToolSet:
    """The tools on offer, and the user's "always allow" answers for this session."""

    def __init__(self, config: ToolsConfig) -> None:
        self.config = config
        self.folders = Folders(config.allowed_folders)
        self.always_allowed: set[str] = set()
        """Tools of the user's own that run without asking (until olladeck exits)."""
        self._schemas: dict[str, dict[str, Any]] = {}
        self._definitions = self._build_definitions()

    @property
    def max_rounds(self) -> int:
        """Most rounds of tool calls for one message."""
        return self.config.max_rounds

    def _build_definitions(self) -> list[dict[str, Any]]:
        time_zone = {
            "type": "object",
            "properties": {
                "timezone": _string(
                    "IANA time zone such as 'Europe/Paris' or 'UTC'; empty for local time"
                )
            },
        }
        expression = {
            "type": "object",
            "properties": {"expression": _string("The expression, e.g. '2 * (3 + 4)'")},
            "required": ["expression"],
        }
        tools = [
            _function(
                "current_time",
                "Get the current date, time and weekday, in a time zone or local time.",
                time_zone,
            ),
            _function("calculator", CALCULATOR_DESCRIPTION, expression),
        ]
        if self.config.allowed_folders:
            where = self.folders.describe()
            first = self.config.allowed_folders[0]
            tools += [
                _function(
                    "read_file",
                    f"Read a UTF-8 text file. Only files under these folders can be read: "
                    f"{where}. A relative path is taken from {first}.",
                    {
                        "type": "object",
                        "properties": {"path": _string("Path of the file")},
                        "required": ["path"],
                    },
                ),
                _function(
                    "list_directory",
                    f"List the files and folders in a folder. Only these folders and what "
                    f"is under them can be listed: {where}. A relative path is taken from "
                    f"{first}.",
                    {
                        "type": "object",
                        "properties": {"path": _string("Path of the folder")},
                        "required": ["path"],
                    },
                ),
            ]
        for tool in self.config.custom:
            tools.append(_function(tool.name, tool.description, tool.parameters))
        for definition in tools:
            function = definition["function"]
            self._schemas[function["name"]] = function["parameters"]
        return tools

    def definitions(self) -> list[dict[str, Any]]:
        """The `tools` of an `/api/chat` request."""
        return self._definitions

    @property
    def names(self) -> list[str]:
        """Every tool's name, built-in ones first."""
        return list(self._schemas)

    def user_tool(self, name: str) -> UserToolConfig | None:
        """The user's own tool of that name, if it is one."""
        return next((tool for tool in self.config.custom if tool.name == name), None)

    async def run(
        self,
        call: ToolCall,
        confirm: Confirm,
        progress: Callable[[str], None] | None = None,
    ) -> Outcome:
        """Run one call; every failure becomes the result (cancelling stops the tool).

        Args:
            call: What the model asked for.
            confirm: Asks the user before a tool of their own runs.
            progress: Told what is happening (e.g. the exact command), for the UI.
        """
        schema = self._schemas.get(call.name)
        if schema is None:
            known = ", ".join(self.names)
            return _failed(f"there is no tool named {call.name!r} (the tools are: {known})")
        problem = check_arguments(schema, call.arguments)
        if problem:
            return _failed(f"bad arguments for {call.name}: {problem}")
        tool = self.user_tool(call.name)
        try:
            if tool is None:
                return Outcome(await asyncio.to_thread(self._run_builtin, call))
            return await self._run_user_tool(tool, call.arguments, confirm, progress)
        except ToolError as exc:
            return _failed(f"{call.name}: {exc}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a tool must not end the conversation
            return _failed(f"{call.name} failed: {exc or type(exc).__name__}")

    def _run_builtin(self, call: ToolCall) -> str:
        arguments = call.arguments
        if call.name == "calculator":
            return calculator(arguments)
        if call.name == "current_time":
            return current_time(arguments)
        if call.name == "read_file":
            return read_file(arguments, self.folders, self.config.max_file_bytes)
        if call.name == "list_directory":
            return list_directory(arguments, self.folders)
        raise ToolError("this tool is not available")

    async def _run_user_tool(
        self,
        tool: UserToolConfig,
        arguments: dict[str, Any],
        confirm: Confirm,
        progress: Callable[[str], None] | None,
    ) -> Outcome:
        from .shown import command_line

        try:
            argv = build_argv(tool, arguments)
        except ArgumentError as exc:
            return _failed(f"bad arguments for {tool.name}: {exc}")
        shown = command_line(argv)  # one line: an argument cannot draw lines of its own
        if tool.name not in self.always_allowed:
            if progress is not None:
                progress(f"Asking you before running: {shown}")
            answer = await confirm(tool, argv)
            if answer == "no":
                return Outcome(REFUSED)
            if answer == "always":
                self.always_allowed.add(tool.name)
        if progress is not None:
            progress(f"Running: {shown}")
        try:
            result = await run_program(argv, timeout=tool.timeout, cap=tool.max_output)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return _failed(f"could not start {argv[0]!r}: {reason}")
        if result.error is None:
            return Outcome(result.output or "(no output)")
        outcome = _failed(f"{tool.name}: {result.error}")
        if result.output:
            return Outcome(f"{outcome.content}\n\nOutput:\n{result.output}", outcome.error)
        return outcome


def _failed(problem: str) -> Outcome:
    """An error result: the model reads it, the user is told."""
    sentence = problem if problem.endswith((".", "?", "!")) else f"{problem}."
    return Outcome(f"Error: {sentence}", sentence)


__all__ = ["REFUSED", "Answer", "Confirm", "Outcome", "ToolSet"]
