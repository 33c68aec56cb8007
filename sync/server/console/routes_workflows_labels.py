"""Access-log words for the workflow pages' actions (the 访问日志 page shows and filters by
them). No router and no web imports: pages_admin.py merges these into its table."""

from __future__ import annotations

WORKFLOW_ACTIONS_ZH = {
    "report_inbox": "查看强制报告列表",
    "report_view": "查看强制报告",
    "report_acknowledge": "签收强制报告",
    "report_assign": "交办强制报告",
    "report_record_action": "记录报告处置",
    "report_close": "办结强制报告",
    "application_list": "查看认定申请列表",
    "application_view": "查看认定申请",
    "application_pass": "查验通过",
    "application_return": "退回补充材料",
    "application_refuse_town": "查验不予认定",
    "application_confirm": "复核确认",
    "application_refuse": "复核不予认定",
    "conference_list": "查看个案会商列表",
    "conference_new": "打开会商记录表",
    "conference_record": "记录个案会商",
    "conference_view": "查看个案会商",
    "conference_review": "会商复查",
    "conference_progress": "报告落实进展",
    "conference_done_action": "完成落实事项",
    "conference_cancel_action": "取消落实事项",
    "conference_closed": "结束会商跟踪",
    "workflow_settings": "查看签收时限与日历",
    "set_ack_hours": "设置签收时限",
    "save_calendar": "保存工作日历",
}
WORKFLOW_OUTCOMES_ZH = {"stale": "他人已先处理"}
