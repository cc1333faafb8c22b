"""Messages of proven-optimal siting: options, candidates, capacities, and the comparison's words."""

from __future__ import annotations

from geo.messages import Message

_STATUS = {
    "heuristic": ("贪心（无最优性证明）", "greedy (no proof of optimality)"),
    "optimal": ("已证明最优", "proven optimal"),
    "time_limit": ("达到求解时限，未证明最优", "time limit reached, not proven optimal"),
    "unreachable": ("目标不可达", "target unreachable"),
    "infeasible": ("无可行解", "infeasible"),
    "unbounded": ("无界", "unbounded"),
    "error": ("求解出错", "solver error"),
}

_COLUMNS = {
    "method": ("方法", "method"),
    "status": ("求解状态", "status"),
    "stations": ("新增站点数", "new stations"),
    "share_before": ("现有覆盖率（%）", "share before (%)"),
    "share_after": ("新增后覆盖率（%）", "share after (%)"),
    "bound": ("界（覆盖率上界 % 或站点数下界）", "bound (% at most, or stations at least)"),
    "gap": ("最优性差距（%）", "optimality gap (%)"),
    "seconds": ("求解用时（秒）", "time (s)"),
}

MESSAGES = {
    "siting.time_limit": Message("选址：求解时限（{field}）须大于 0 且不超过 {most} 秒，收到 {value}",
                                 "siting: the time limit ({field}) must be above 0 and at most {most} s; got {value}"),
    "siting.min_floor_area": Message("选址：最小建筑面积（{field}）须为不小于 0 的数，收到 {value}",
                                     "siting: the minimum floor area ({field}) must be a number ≥ 0; got {value}"),
    "siting.m2_per_person": Message("选址：每位60岁以上居民所需面积（{field}）须大于 0，收到 {value}",
                                    "siting: floor area per resident 60+ ({field}) must be above 0; got {value}"),
    "siting.no_premises": Message(
        "选址：截至 {date} 没有可用房源（状态为可用、可用日期不晚于当日、建筑面积不小于 {area} m²）",
        "siting: no premises are available on {date} (status available, available from that day or "
        "earlier, floor area at least {area} m²)"),
    "siting.file_points": Message("选址：候选点文件（{field}）须含至少一个点或面要素，且每个要素都有几何",
                                  "siting: the candidates file ({field}) must hold at least one point or polygon, "
                                  "each with a geometry"),
    "siting.negative": Message("选址：候选点的 {field} 不得为负数", "siting: candidates' {field} must not be negative"),
    "siting.capacity_weight": Message(
        "选址：按容量（{field}）选址时只能以60岁以上人口计（容量以人计），收到权重 {value}",
        "siting: with capacities ({field}) the weight must be residents_60plus (capacity counts people); "
        "got {value}"),
    "siting.candidate_source": Message("选址：候选点来源（{field}）须为 {allowed} 之一，收到 {value}",
                                       "siting: the candidate source ({field}) must be one of {allowed}; got {value}"),
    "siting.candidates_with_source": Message("选址：给出了候选点（candidates），候选点来源（{field}）就须为 file "
                                             "或省略；来源 {value} 不读所给的点",
                                             "siting: candidates were given, so the candidate source ({field}) must "
                                             "be file or left out; the source {value} does not read them"),
    "siting.file_needed": Message("选址：候选点来源为文件时须给出候选点（{field}）",
                                  "siting: candidates from a file need the candidates ({field})"),
    "siting.unreachable": Message("目标覆盖率 {target} 不可达：全部候选点加上后最多 {best}",
                                  "the target share {target} cannot be reached: every candidate together "
                                  "reaches {best}"),
    "siting.greedy_optimal": Message("贪心结果即为最优", "greedy's answer is optimal"),
    "siting.greedy_not_optimal": Message("贪心结果不是最优", "greedy's answer is not optimal"),
    "siting.greedy_unknown": Message("贪心结果是否最优未能证明", "whether greedy's answer is optimal is not proven"),
    "siting.method.milp": Message("整数规划（HiGHS）", "MILP (HiGHS)"),
    "siting.method.greedy": Message("贪心", "greedy"),
    "siting.question.max_coverage": Message("最大覆盖：新增 {k} 个站点", "maximal coverage: {k} new stations"),
    "siting.question.set_cover": Message("最少站点：覆盖率达到 {target}", "fewest stations reaching {target}"),
    "siting.capacity_note": Message("按容量：每站最多服务其容量（{m2_per_person} m²/人）的60岁以上居民，"
                                    "且只服务步行可达者",
                                    "with capacities: each station serves at most its capacity ({m2_per_person} m² per "
                                    "person) of residents 60+, only those within walking reach"),
    **{f"siting.status.{k}": Message(*v) for k, v in _STATUS.items()},
    **{f"siting.col.{k}": Message(*v) for k, v in _COLUMNS.items()},
    "siting.busy": Message("另一项选址计算正在进行（每项限时约 {seconds} 秒），请在 Retry-After 所示秒数后再试",
                           "another siting computation is running (each is limited to about {seconds} s); "
                           "try again after the seconds Retry-After gives"),
    "siting.reach_too_far": Message("选址的步行距离 {reach_m} 米超过上限 {most} 米（{field}：步行时间 × 速度）；"
                                    "一刻钟养老服务圈约 900 米",
                                    "siting's walking reach {reach_m} m is above the limit of {most} m ({field}: "
                                    "minutes × speed); the 15-minute circle is about 900 m"),
    "siting.milp_skipped": Message("另一项选址计算正在进行，本报告只列贪心算法的结果（未证明最优）；稍后刷新可得最优解",
                                   "another siting computation was running, so this report gives greedy's answer "
                                   "alone (not proven optimal); reload shortly for the proven optimum"),
    "siting.none_attached": Message(
        "{count} 个候选点都离街路超过 {max_m} 米，无法接入步行路网；请给出街路旁的候选点",
        "none of the {count} candidates is within {max_m} m of a street, so none joins the walking network; "
        "give candidates next to streets"),
}
