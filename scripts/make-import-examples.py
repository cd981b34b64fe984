"""Write the example files of `leanschool import` (examples/import/): orgs.csv, orgs.xlsx,
users.csv and participants.csv, as Russian Excel saves them (CSV UTF-8 with a BOM, `;` between cells).

    .venv/bin/python scripts/make-import-examples.py

The municipalities are Oryol oblast's real ones (shared/data/oryol_municipalities.csv);
the organisations are plausible, the ИНН are invented (with valid check digits), the
people and their addresses are fictional.
"""
from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

OUT = Path(__file__).resolve().parent.parent / "examples" / "import"

ORG_HEADERS = ["ИНН", "Наименование", "Тип", "Муниципалитет"]
ORGS = [
    ["5753012340", "МБОУ «Средняя общеобразовательная школа №12» г. Орла", "школа", "г. Орёл"],
    ["5753023454", "МБДОУ «Детский сад №34 «Золотой ключик»» г. Орла", "детский сад", "г. Орёл"],
    ["", "МБОУ «Лицей имени С.Н. Булгакова» г. Ливны", "школа", "г. Ливны"],
    ["5703004569", "МБДОУ «Детский сад №3 «Алёнушка»» г. Мценска", "детский сад", "г. Мценск"],
    ["5714002348", "МБОУ «Кромская средняя общеобразовательная школа»", "школа", "Кромской район"],
    ["5723001238", "МБОУ «Нарышкинская средняя общеобразовательная школа №1»", "школа", "Урицкий район"],
    ["5718000341", "БПОУ ОО «Новосильский аграрный техникум»", "колледж", "Новосильский район"],
    ["", "МБУ ДО «Дом детского творчества» Ливенского района", "другое", "Ливенский район"],
]

USER_HEADERS = ["E-mail", "ФИО", "Роль", "ИНН", "Организация", "Муниципалитет", "Регион"]
USERS = [
    ["kuznetsova.mv@obr-orel.example.org", "Кузнецова Марина Викторовна", "куратор", "", "", "", "Орловская область"],
    ["sokolova.ei@sch12-orel.example.org", "Соколова Елена Игоревна", "руководитель", "5753012340", "", "", ""],
    ["belova.tn@sch12-orel.example.org", "Белова Татьяна Николаевна", "участник", "5753012340", "", "", ""],
    ["morozova.as@ds34-orel.example.org", "Морозова Анна Сергеевна", "руководитель", "",
     "МБДОУ «Детский сад №34 «Золотой ключик»» г. Орла", "г. Орёл", ""],
    ["lebedeva.oa@ds34-orel.example.org", "Лебедева Ольга Александровна", "участник", "5753023454", "", "", ""],
    ["volkov.dp@licey-livny.example.org", "Волков Дмитрий Петрович", "руководитель", "",
     "МБОУ «Лицей имени С.Н. Булгакова» г. Ливны", "г. Ливны", ""],
    ["fedorova.nv@kromy-school.example.org", "Фёдорова Наталья Викторовна", "участник", "5714002348", "", "", ""],
    ["orlov.sa@naryshkino-school.example.org", "Орлов Сергей Анатольевич", "руководитель", "5723001238", "", "", ""],
    ["zaitseva.iv@novosil-teh.example.org", "Зайцева Ирина Владимировна", "участник", "5718000341", "", "", ""],
]


def inn_is_valid(inn: str) -> bool:
    """An organisation's ИНН: the tenth digit checks the first nine."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return len(inn) == 10 and sum(int(d) * w for d, w in zip(inn, weights, strict=False)) % 11 % 10 == int(inn[9])


def write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)


def write_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Организации"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Excel turns a typed ИНН into a number; the import reads it back as digits
        sheet.append([int(c) if i == 0 and c else c for i, c in enumerate(row)])
    for letter, width in zip("ABCD", (14, 62, 14, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    book.save(path)


# a programme's participants (import participants --programme ID): organisations of orgs.csv,
# found by ИНН or by name and municipality; the wave and the date joined are optional
PARTICIPANT_HEADERS = ["ИНН", "Наименование", "Муниципалитет", "Волна", "Дата вступления"]
PARTICIPANTS = [
    ["5753012340", "", "", "1", "01.09.2021"],
    ["5753023454", "", "", "1", "01.09.2021"],
    ["", "МБОУ «Лицей имени С.Н. Булгакова» г. Ливны", "г. Ливны", "1", "01.09.2021"],
    ["5714002348", "", "", "2", "01.02.2022"],
    ["5718000341", "", "", "2", ""],
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    assert all(inn_is_valid(row[0]) for row in ORGS if row[0])
    assert all(inn_is_valid(row[3]) for row in USERS if row[3])
    write_csv(OUT / "orgs.csv", ORG_HEADERS, ORGS)
    write_xlsx(OUT / "orgs.xlsx", ORG_HEADERS, ORGS)
    write_csv(OUT / "users.csv", USER_HEADERS, USERS)
    write_csv(OUT / "participants.csv", PARTICIPANT_HEADERS, PARTICIPANTS)
    for name in ("orgs.csv", "orgs.xlsx", "users.csv", "participants.csv"):
        print(OUT / name)


if __name__ == "__main__":
    main()
