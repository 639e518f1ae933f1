"""Problems found in a facility list 「公共施設一覧」: a machine code with parameters, translated when shown.

Severities: ``"error"`` (the row, or with row 0 the whole file, is not imported), ``"warning"`` (the
row is imported but something needs a look) and ``"excluded"`` (the row is not a booth venue or
application point, such as a park or a school; not an error).  Message ids are English and use
``str.format`` placeholders; ``{value}`` and ``{column}`` are always available.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.i18n import N_
from core.i18n import gettext as _

SEVERITIES: tuple[str, ...] = ("error", "warning", "excluded")

_MESSAGES: dict[str, str] = {
    # the file as a whole
    "encoding_unknown": N_(
        "The file could not be read as UTF-8 or Shift_JIS (CP932) text. Save it as CSV and upload it again."
    ),
    "csv_malformed": N_("The file is not a readable CSV file ({detail})."),
    "file_empty": N_("The file is empty; the first row must be the header."),
    "column_missing": N_("The required column {column} is missing from the header."),
    "column_duplicate": N_("The column {column} appears more than once; the first one is used."),
    # errors: the row is skipped
    "name_missing": N_("The name (名称) is empty."),
    "id_duplicate": N_("The ID {value} is already used on row {first_row}."),
    "id_unusable": N_(
        "The ID 「{value}」 cannot be part of the venue's web address (it contains a slash / or a line break, or is "
        "only dots); change the ID in the file and upload it again."
    ),
    "kind_unknown": N_("Unknown venue kind 「{value}」 in 会場種別; use one of {choices}."),
    "coordinate_missing": N_("{column} is empty."),
    "coordinate_not_number": N_("{column} 「{value}」 is not a number."),
    "lat_outside_japan": N_("The latitude {value} is outside Japan (20 to 46)."),
    "lon_outside_japan": N_("The longitude {value} is outside Japan (122 to 154)."),
    "lat_decimal_point": N_(
        "The latitude {value} is outside Japan; it looks like a missing decimal point. Did you mean {suggested}?"
    ),
    "lon_decimal_point": N_(
        "The longitude {value} is outside Japan; it looks like a missing decimal point. Did you mean {suggested}?"
    ),
    "coordinates_swapped": N_(
        "Latitude and longitude look swapped ({value}). Did you mean latitude {lat}, longitude {lon}?"
    ),
    "far_from_city": N_("Far from every other facility ({km} km to the nearest); check the coordinates."),
    # warnings: the row is imported but something needs a look
    "row_too_long": N_(
        "The row has {cells} cells but the header has {columns}; the extra cells were ignored "
        "(perhaps a comma without quotes)."
    ),
    "id_missing": N_("No ID; the derived ID {venue_id} is used. Add an ID so that re-imports update this venue."),
    "open_days_missing": N_(
        "No opening days (利用可能曜日); the venue is not a planning candidate until staff fill them in."
    ),
    "open_days_invalid": N_(
        "The opening days 「{value}」 could not be read; the venue is not a planning candidate until staff "
        "fill them in."
    ),
    "open_days_partial": N_(
        "In the opening days, 「{ignored}」 cannot be expressed as days of the week and was ignored; kept 「{days}」."
    ),
    "time_missing": N_("{column} is empty; the venue is not a planning candidate until staff fill it in."),
    "time_invalid": N_("The time 「{value}」 in {column} could not be read."),
    "time_order": N_("The closing time {closes} is not after the opening time {opens}."),
    "hours_note_unread": N_(
        "The note 「{clause}」 on opening hours could not be read; the venue is not a planning candidate until staff "
        "confirm its opening rules."
    ),
    "flag_unclear": N_("Could not tell yes or no from 「{value}」 in {column}; recorded as no."),
    "url_not_web": N_("The URL 「{value}」 is not a web address (http:// or https://); it was left out."),
    # exclusions: not a booth venue or application point (not an error)
    "excluded_park": N_("Park or open space: not a booth venue."),
    "excluded_school": N_("School: not a booth venue."),
    "excluded_sports": N_("Sports facility: not a booth venue."),
    "excluded_poi_code": N_(
        "POI code {poi_code} is not a booth venue or application point. If it is one, set its kind in the "
        "preview or in a 会場種別 column."
    ),
    "excluded_unstaffed": N_("Unstaffed corner ({word}): not a booth venue."),
    "excluded_kind_unknown": N_(
        "The kind could not be inferred from the name; set it in the preview or in a 会場種別 column."
    ),
    "excluded_by_column": N_("Marked as not a venue in the 会場種別 column."),
    "excluded_by_staff": N_("Marked as not a venue in the preview."),
}

PROBLEM_CODES: tuple[str, ...] = tuple(_MESSAGES)
"""Every problem code the facility-list reader produces."""


class _Placeholders(dict[str, str]):
    """Format mapping that leaves unknown placeholders as written instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Problem:
    """Something to tell staff about one row (or, with ``row_number`` 0, the whole file).

    ``severity`` is ``"error"`` (the row is skipped), ``"warning"`` (imported but doubtful) or
    ``"excluded"`` (not a booth venue or application point; not an error).
    """

    row_number: int
    column: str
    value: str
    code: str
    severity: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The reason in the current locale, e.g. 「緯度 36561437 が日本の範囲の外です。…」."""
        template = _MESSAGES.get(self.code, self.code)
        values = _Placeholders(self.params)
        values.setdefault("value", self.value)
        values.setdefault("column", self.column)
        return _(template).format_map(values)
