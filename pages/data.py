"""数据管理: what the store holds, import templates, the (administrator-only) upload, the log."""

from __future__ import annotations

import streamlit as st

from muyun import formatting, importer, labels, queries
from ui import admin, cache, filters, fmt, print_css

filters.require_app()
T = labels.DATA_TEXT
PER_ROW = 4
st.title(labels.PAGE_TITLES["data"])
db = cache.database()

st.caption(f":material/filter_alt_off: {labels.DATA_EXTRA['no_filters']}")
st.subheader(T["holdings"])
counts = queries.table_row_counts(db.reader())
# Rows of four cards: eight or more tables side by side cut their names and counts.
holdings = [c for _ in range(0, len(counts), PER_ROW) for c in st.columns(PER_ROW)]
for column, (table, rows) in zip(holdings, counts.items(), strict=False):
    column.metric(labels.TABLE_NAMES[table], formatting.number(rows, 0, T["rows_unit"]))

st.subheader(T["templates"])
st.caption(T["templates_note"])
names = labels.TABLE_NAMES
template_cols = [c for _ in range(0, len(names), PER_ROW) for c in st.columns(PER_ROW)]
for column, (table, name) in zip(template_cols, names.items(), strict=False):
    path = importer.TEMPLATES_DIR / f"{table}.xlsx"
    if path.exists():
        column.download_button(
            name,
            data=path.read_bytes(),
            file_name=T["template_file"].format(name=name),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            on_click="ignore",
            icon=":material/download:",
            key=f"template_{table}",
            width="stretch",
        )
    else:
        column.caption(T["template_missing"].format(name=name))

st.subheader(T["upload"])
if admin.require("import", key="data") is not None:
    table = st.selectbox(
        T["table"],
        list(labels.TABLE_NAMES),
        format_func=labels.TABLE_NAMES.__getitem__,  # no raw table code; no lambda (enterprise.py)
        key="data_table",
    )
    print_css.uploader_in_chinese()
    upload = st.file_uploader(T["file"], type=["xlsx", "csv"], key="data_file")
    if upload is not None and st.button(T["import"], type="primary", key="data_import"):
        try:
            result = importer.import_file(db, upload.getvalue(), table, file_name=upload.name)
        except importer.ImportFailed as failure:
            st.session_state["data_outcome"] = ("failed", upload.file_id, failure)
        else:
            cache.clear_data_caches()
            st.session_state["data_outcome"] = ("ok", upload.file_id, result)
            st.rerun()  # the 库中数据 counts above were drawn before the import
    outcome = st.session_state.get("data_outcome")
    if outcome is not None and upload is not None and outcome[1] == upload.file_id:
        kind, _, detail = outcome
        if kind == "failed":
            st.error(labels.IMPORT_TEXT["failed"].format(count=detail.count))
            errors = labels.IMPORT_ERROR_HEADERS
            st.dataframe(
                detail.to_frame(),
                hide_index=True,
                placeholder="—",
                key="data_errors",
                # Row, column and value narrow; the reason takes the rest of the width (the
                # full text of a clipped value or reason shows on hover).
                column_config={
                    errors["row"]: st.column_config.NumberColumn(format="%d", width=64),
                    errors["column"]: st.column_config.TextColumn(width=150),
                    errors["value"]: st.column_config.TextColumn(width=180),
                },
            )
        else:
            st.success(fmt.escape_markdown(detail.summary()))
        for warning in detail.warnings:  # quotes cells of the file: shown as text
            st.warning(labels.IMPORT_TEXT["warning_prefix"] + fmt.escape_markdown(warning))

st.subheader(T["log"])
log = queries.import_log(db.reader())
if log.empty:
    st.caption(T["no_log"])
else:
    log["table_name"] = log["table_name"].map(labels.TABLE_NAMES).fillna(log["table_name"])
    H = labels.IMPORT_LOG_HEADERS
    st.dataframe(
        log,
        hide_index=True,
        placeholder="—",
        column_config={
            "imported_at": st.column_config.DatetimeColumn(
                H["imported_at"], format="YYYY-MM-DD HH:mm:ss"
            ),
            "file_name": st.column_config.TextColumn(H["file_name"]),
            "table_name": st.column_config.TextColumn(H["table_name"]),
            "years": st.column_config.TextColumn(H["years"]),
            "rows_added": st.column_config.NumberColumn(H["rows_added"], format="%d"),
            "rows_replaced": st.column_config.NumberColumn(H["rows_replaced"], format="%d"),
            "warnings": st.column_config.NumberColumn(H["warnings"], format="%d"),
            "sha256": st.column_config.TextColumn(H["sha256"]),
        },
    )
