"""The signed archive of a closed till period: read back and verified; a file changed inside it,
or a manifest rewritten to match, is found; making it is logged with the file's SHA-256."""

import hashlib
import io
import json
import zipfile
from datetime import date

import pytest
from django.core.management import call_command

from sales.till import archive
from sales.till.models import TillEvent
from tests.sales.test_till_closures import a_day_of_sales


def rewritten(data: bytes, **replacements) -> bytes:
    """The archive with some of its files replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(name, replacements.get(name.replace(".", "_"), source.read(name)))
    return buffer.getvalue()


@pytest.mark.django_db
def test_an_archive_of_a_closed_day_reads_back_whole(till, tmp_path, capsys):
    closure = a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 3}])
    data = archive.build(closure, user=till.manager)
    result = archive.verify(data)
    assert result.ok, result.problems
    assert (result.manifest["register"]["code"], result.manifest["period_start"]) == ("C1", "2026-11-29")
    files = zipfile.ZipFile(io.BytesIO(data))
    [ticket] = json.loads(files.read("tickets.json"))
    assert ticket["total_incl_tax"] == "12.60" and ticket["document"].startswith("FA2026-")
    assert [row["content"]["kind"] for row in json.loads(files.read("closures.json"))] == ["day"]
    kinds = [row["content"]["kind"] for row in json.loads(files.read("events.json"))]
    assert kinds[:2] == ["session_opened", "session_closed"] and "closure" in kinds
    event = TillEvent.objects.get(kind="archive")
    assert event.details["sha256"] == hashlib.sha256(data).hexdigest() and event.user == till.manager

    path = tmp_path / "z.zip"
    path.write_bytes(data)
    call_command("till_archive", verify=path)
    assert "Archive intègre : caisse C1" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_archive_changed_afterwards_is_found(till, tmp_path, capsys):
    closure = a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 3}])
    data = archive.build(closure, user=till.manager)
    files = zipfile.ZipFile(io.BytesIO(data))
    closures = json.loads(files.read("closures.json"))
    closures[0]["content"]["grand_total"] = "1.00"
    forged = json.dumps(closures).encode()

    result = archive.verify(rewritten(data, closures_json=forged))
    assert not result.ok
    assert "closures.json : l'empreinte ne correspond pas au manifeste" in result.problems
    assert any("clôture en position 1" in problem for problem in result.problems)

    manifest = json.loads(files.read("manifest.json"))
    manifest["files"]["closures.json"] = hashlib.sha256(forged).hexdigest()  # the digest made to match
    result = archive.verify(rewritten(data, closures_json=forged, manifest_json=json.dumps(manifest).encode()))
    assert any("signature" in problem for problem in result.problems)

    path = tmp_path / "forged.zip"
    path.write_bytes(rewritten(data, closures_json=forged))
    with pytest.raises(SystemExit) as exit_status:
        call_command("till_archive", verify=path)
    assert exit_status.value.code == 1 and "empreinte" in capsys.readouterr().out
