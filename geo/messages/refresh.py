"""Messages of the coverage refresh of many districts (#19 item 4): ``xincheng refresh``."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "refresh.progress": Message("刷新覆盖结果", "refreshing coverage"),
    "refresh.worker_lost": Message("计算进程在计算该区县时一再退出，已放弃（{detail}）",
                                   "the worker processes running it died each time; given up ({detail})"),
    "refresh.read_only": Message("数据库只读，无法写入该区县的结果（未重试）：{detail}",
                                 "the database is read-only: the district's results cannot be written (not tried "
                                 "again): {detail}"),
    "refresh.task_failed": Message("计算 {attempts} 次均失败：{kind}: {detail}",
                                   "failed {attempts} times: {kind}: {detail}"),
    "refresh.workers": Message("本机计算进程数 --workers 须至少为 1，收到 {value}",
                               "--workers must be at least 1; got {value}"),
    "refresh.scheduler_address": Message("调度器地址 --scheduler 须形如 tcp://主机:端口，收到 {value}",
                                         "--scheduler must look like tcp://host:port; got {value}"),
    "refresh.scheduler_unreachable": Message("连不上 Dask 调度器 {address}：{detail}",
                                             "cannot reach the Dask scheduler {address}: {detail}"),
    "refresh.scheduler_options": Message("同时给出了 {option} 与 --scheduler：集群的计算进程由调度器管理",
                                         "{option} cannot be used with --scheduler: the scheduler's cluster "
                                         "has its own workers"),
    "refresh.in_process_workers": Message("同时给出了 --workers 与 --in-process：在本进程计算不启动计算进程",
                                          "--workers cannot be used with --in-process: no worker processes "
                                          "are started"),
    "refresh.no_districts": Message("区县列表 --districts 为空，收到 {value}",
                                    "--districts names no district; got {value}"),
    "refresh.repeated": Message("区县列表 --districts 重复列出 {value}", "--districts names {value} more than once"),
    "refresh.sqlite_scheduler": Message("SQLite 数据库文件在本机，集群的计算进程打不开它：请去掉 --scheduler，"
                                        "或使用 PostgreSQL/PostGIS 数据库",
                                        "the cluster's workers cannot open a SQLite file on this machine: leave "
                                        "out --scheduler, or use a PostgreSQL/PostGIS database"),
    "refresh.sqlite_in_process": Message("SQLite 只存一个区县：在本进程刷新（不启动集群）",
                                         "SQLite holds one district: refreshed in this process (no cluster started)"),
    "refresh.mode_local": Message("在本机集群的 {workers} 个计算进程上刷新 {count} 个区县",
                                  "refreshing {count} districts on a local cluster of {workers} worker processes"),
    "refresh.mode_scheduler": Message("在调度器 {address} 的 {workers} 个计算进程上刷新 {count} 个区县",
                                      "refreshing {count} districts on the {workers} workers of {address}"),
    "refresh.mode_in_process": Message("在本进程刷新 {count} 个区县", "refreshing {count} districts in this process"),
    "refresh.done": Message("已刷新 {done}/{total} 个区县的覆盖结果，共 {units} 个单位，用时 {seconds} 秒",
                            "refreshed the coverage of {done} of {total} districts, {units} units, in {seconds} s"),
    "refresh.failed": Message("{count} 个区县刷新失败（其原有结果保持不变）：{districts}",
                              "{count} districts failed (their previous results are kept): {districts}"),
}
