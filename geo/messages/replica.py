"""Messages of the read replica (#19): its settings and what the health answer says of it."""

from __future__ import annotations

from geo.messages import Message

MESSAGES = {
    "replica.not_postgres": Message(
        "{field} 须为 PostgreSQL 数据库地址（postgresql://…），且主库 XINCHENG_DATABASE_URL 也须为 "
        "PostgreSQL；收到 {value}",
        "{field} must be a PostgreSQL URL (postgresql://…), and so must the primary's XINCHENG_DATABASE_URL; "
        "got {value}"),
    "replica.same_as_primary": Message("{field} 与主库 XINCHENG_DATABASE_URL 相同：只读副本须为另一个数据库服务器",
                                       "{field} is the primary's XINCHENG_DATABASE_URL: the replica must be "
                                       "another server"),
    "replica.bad_lag": Message("{field} 须为 0.1 至 3600 之间的秒数，收到 {value}",
                               "{field} must be a number of seconds from 0.1 to 3600; got {value}"),
    "replica.not_a_number": Message("{field} 须为数字（秒），收到 {value}",
                                    "{field} must be a number (seconds); got {value}"),
    "replica.state.none": Message("未配置只读副本，读取走主库", "no replica configured: reads go to the primary"),
    "replica.state.ok": Message("只读副本正常，公众查询走副本", "the replica is healthy: public reads go to it"),
    "replica.state.behind": Message("只读副本延迟 {lag_s} 秒，超过上限 {max_lag_s} 秒，读取改走主库",
                                    "the replica is {lag_s} s behind, over the {max_lag_s} s bound: reads go "
                                    "to the primary"),
    "replica.state.down": Message("只读副本无法连接，读取改走主库，{retry_s} 秒后重试",
                                  "the replica cannot be reached: reads go to the primary; retried in {retry_s} s"),
    "replica.state.not_standby": Message("只读副本不是备库（未处于恢复状态），读取走主库",
                                         "the replica is not a standby (not in recovery): reads go to the primary"),
    "replica.state.not_this_database": Message(
        "只读副本不是本库的副本（集群标识或数据库名不同：请检查 XINCHENG_REPLICA_URL），读取走主库",
        "the replica is not a copy of this database (another cluster or another database name: check "
        "XINCHENG_REPLICA_URL): reads go to the primary"),
}
