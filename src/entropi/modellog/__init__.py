"""The model log: every model call, tool result, approval and outcome, in one append-only file per project."""

from entropi.modellog import fastread as _fastread  # noqa: F401  (the reader's fast path, loaded up front)
from entropi.modellog.logfile import (
    LogFormatError,
    LogReadError,
    ModelLog,
    encode_record,
    iter_log,
    log_files,
    read_records,
)
from entropi.modellog.records import (
    AdapterInfo,
    ApprovalRecord,
    BaseModelInfo,
    LogRecord,
    ModelCallRecord,
    OutcomeRecord,
    ParsedInfo,
    RoutingInfo,
    TaskInfo,
    ToolCallInfo,
    ToolResultRecord,
    new_record_id,
    utc_now,
)

__all__ = [
    "AdapterInfo",
    "ApprovalRecord",
    "BaseModelInfo",
    "LogFormatError",
    "LogReadError",
    "LogRecord",
    "ModelCallRecord",
    "ModelLog",
    "OutcomeRecord",
    "ParsedInfo",
    "RoutingInfo",
    "TaskInfo",
    "ToolCallInfo",
    "ToolResultRecord",
    "encode_record",
    "iter_log",
    "log_files",
    "new_record_id",
    "read_records",
    "utc_now",
]
