"""The declaration catalog: one YAML file per Skellefteå service under data/declarations/.

This module knows nothing of Rasa. It loads and validates the catalog (every file, or
nothing: a bad file raises CatalogError naming the file, the field and the problem),
and keeps it fresh: `CatalogStore.get()` re-reads the folder when a file changed, so
editing a text changes the bot's answers without retraining.

A store may also `follow` a `ReviewedDates` source: the dates on which staff confirmed in
the review tool that a declaration is still right ("Uppgifterna stämmer"). The source is
asked for its version at most once per check interval (one cheap query in the tracker
database, bot/store/content_reviews.py); when it changed, the catalog is rebuilt with the
confirmed dates, so every process that answers follows a confirmation within seconds.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

import yaml
from pydantic import BaseModel, Field, ValidationError, validator

from bot.paths import DEFAULT_AUTHORITIES_FILE, DEFAULT_CATALOG_DIR, DEFAULT_MUNICIPALITY_FILE

logger = logging.getLogger(__name__)


SERVICEFORKLARING = "serviceförklaring"
SERVICENIVA = "servicenivå"
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
# Facts reviewed longer ago than this get a warning in every answer.
STALE_AFTER_DAYS = 365


class CatalogError(Exception):
    """A catalog file is missing, unreadable or invalid. The message names the file."""


class _Strict(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True
        min_anystr_length = 1


class Promise(_Strict):
    id: str = Field(..., regex=ID_PATTERN)
    text: str
    # The measurable part where there is one ("inom 3 veckor"); None where Skellefteå
    # publishes no time for this promise.
    commitment: str | None = None
    # Words a citizen uses when asking about this promise, beyond those in its text
    # ("grannar" for the ordinary building-permit case).
    keywords: list[str] = []


class Fact(_Strict):
    """A fact about a service beyond its promises (a fee, a rule, who may apply, …)."""

    id: str = Field(..., regex=ID_PATTERN)
    # What the fact answers, one of the topics in data/topics.yml (cost, eligibility, …).
    topic: str = Field(..., regex=ID_PATTERN)
    text: str
    # Words a citizen uses when asking for this fact, beyond those in its text.
    keywords: list[str] = []


class Contact(_Strict):
    phone: str
    phone_option: str | None = None
    email: str | None = None
    other: list[str] = []


class EnglishDeclaration(_Strict):
    """The declaration's texts in English, beside the Swedish (written from the same facts,
    not machine-translated). Every field is optional: what is missing is given in Swedish
    with a note that it is only available in Swedish, and `bot check` lists it."""

    name: str
    # The municipality's own English page, where there is one.
    source_url: str | None = Field(None, regex=r"^https?://\S+$")
    summary: str | None = None
    responsible_board: str | None = None
    promises: dict[str, str] = {}  # promise id → text
    # In the order of the Swedish lists, all or none.
    expectations: list[str] = []
    if_not_kept: list[str] = []
    contact_other: list[str] = []
    phone_option: str | None = None  # "option 3" for "knappval 3"
    facts: dict[str, str] = {}  # fact id → text


class Declaration(_Strict):
    id: str = Field(..., regex=ID_PATTERN)
    name: str
    kind: Literal["serviceförklaring", "servicenivå"]
    # False where the declaration is known to exist but its text has not been found.
    text_available: bool = True
    responsible_board: str | None = None
    # Who keeps the texts right: a role or a named function ("Kundtjänst", "nämndens
    # administratör"), never a person's name or private contact details.
    owner: str | None = None
    source_url: str = Field(..., regex=r"^https?://\S+$")
    other_sources: list[str] = []
    reviewed: date
    reviewed_approximate: bool = False
    summary: str
    promises: list[Promise] = []
    expectations: list[str] = []
    if_not_kept: list[str] = []
    contact: Contact
    synonyms: list[str] = Field(..., min_items=1)
    # Words for situations that imply the service without naming it ("carport" → bygglov);
    # matched like synonyms.
    implied_by: list[str] = []
    # A service named by a word for what one does about anything (complain, report a
    # fault): with another authority named in the same question, the question is about
    # that authority ("klagomål på lasarettet" is Region Västerbotten's).
    yields_to_authorities: bool = False
    facts: list[Fact] = []
    en: EnglishDeclaration | None = None

    @validator("other_sources", each_item=True)
    def _url(cls, value: str) -> str:  # noqa: N805
        if not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http(s) URL")
        return value

    @validator("promises")
    def _promises(cls, value: list[Promise], values: dict) -> list[Promise]:  # noqa: N805
        ids = [p.id for p in value]
        if len(ids) != len(set(ids)):
            raise ValueError("promise ids must be unique")
        if values.get("text_available", True) and not value:
            raise ValueError("at least one promise is required when text_available is true")
        return value

    @validator("facts")
    def _facts(cls, value: list[Fact]) -> list[Fact]:  # noqa: N805
        ids = [f.id for f in value]
        if len(ids) != len(set(ids)):
            raise ValueError("fact ids must be unique")
        return value

    @validator("en")
    def _english(cls, value: EnglishDeclaration | None, values: dict) -> EnglishDeclaration | None:  # noqa: N805
        if value is None:
            return value
        promise_ids = {p.id for p in values.get("promises") or []}
        fact_ids = {f.id for f in values.get("facts") or []}
        if set(value.promises) - promise_ids:
            raise ValueError(f"promises {sorted(set(value.promises) - promise_ids)} do not exist")
        if set(value.facts) - fact_ids:
            raise ValueError(f"facts {sorted(set(value.facts) - fact_ids)} do not exist")
        for field_name, swedish in (
            ("expectations", values.get("expectations") or []),
            ("if_not_kept", values.get("if_not_kept") or []),
            ("contact_other", (values.get("contact") or Contact(phone="-")).other),
        ):
            english = getattr(value, field_name)
            if english and len(english) != len(swedish):
                raise ValueError(
                    f"{field_name}: {len(english)} texts for {len(swedish)} in Swedish"
                )
        return value

    @property
    def has_published_time(self) -> bool:
        return any(p.commitment for p in self.promises)

    @property
    def timed_promises(self) -> list[Promise]:
        return [p for p in self.promises if p.commitment]

    def is_stale(self, today: date) -> bool:
        return (today - self.reviewed).days > STALE_AFTER_DAYS


class OpeningHours(_Strict):
    weekdays: str = Field(..., regex=r"^\d\d:\d\d-\d\d:\d\d$")
    day_before_holiday: str | None = Field(None, regex=r"^\d\d:\d\d-\d\d:\d\d$")


class Kundtjanst(_Strict):
    phone: str
    email: str
    postal_address: str
    visiting_address: str
    phone_hours: OpeningHours
    visiting_hours: OpeningHours
    hours_note: str | None = None
    hours_note_en: str | None = None
    visiting_address_en: str | None = None
    source_url: str = Field(..., regex=r"^https?://\S+$")
    reviewed: date
    reviewed_approximate: bool = False


class GeneralInfo(_Strict):
    """What a serviceförklaring is, from the municipality's overview page."""

    summary: str
    if_not_kept: list[str]
    summary_en: str | None = None
    if_not_kept_en: list[str] = []
    source_url: str = Field(..., regex=r"^https?://\S+$")
    reviewed: date
    reviewed_approximate: bool = False


class ServiceWithoutDeclaration(_Strict):
    """A municipal service citizens ask about that has no declaration in the catalog."""

    name: str
    words: list[str] = Field(..., min_items=1)


class Municipality(_Strict):
    kundtjanst: Kundtjanst
    serviceforklaring: GeneralInfo
    services_without_declaration: list[ServiceWithoutDeclaration] = []
    # Facts about serviceförklaringar, Kundtjänst and the e-services in general.
    general_facts: list[Fact] = []
    general_facts_en: dict[str, str] = {}  # fact id → the same fact in English


class Authority(_Strict):
    """Another authority that citizens take for the municipality (Polisen, Skatteverket…)."""

    id: str = Field(..., regex=ID_PATTERN)
    name: str
    name_en: str | None = None  # where the name itself is Swedish words, not a name
    handles: str
    handles_en: str | None = None
    web: str
    web_en: str | None = None
    phone: str | None = None
    note: str | None = None
    # Named, it answers the question even where a service of ours is named too (another
    # municipality: "vad lovar Umeå kommun om bygglov?").
    wins_over_services: bool = False
    # ...but not over these services, which involve it ("hyresvärden ska godkänna
    # bostadsanpassningen" is a question about bostadsanpassning).
    yields_to: list[str] = Field(default_factory=list)
    words: list[str] = Field(..., min_items=1)

    def wins_over(self, services: list[str]) -> bool:
        """Whether it answers a question that names these services of ours too."""
        return self.wins_over_services and not set(services) & set(self.yields_to)


class _AuthoritiesFile(_Strict):
    authorities: list[Authority]


@dataclass(frozen=True)
class Catalog:
    declarations: dict[str, Declaration]
    municipality: Municipality
    authorities: tuple[Authority, ...] = ()

    def authority(self, authority_id: str) -> Authority | None:
        return next((a for a in self.authorities if a.id == authority_id), None)

    def get(self, service_id: str | None) -> Declaration | None:
        if not service_id:
            return None
        return self.declarations.get(service_id)

    def ids(self) -> list[str]:
        return sorted(self.declarations)

    def service_id(self, value: object) -> str | None:
        """The declaration an entity value names: its id, its name or a synonym (case and
        å/ä/ö folded). None for anything else: a value from outside is never trusted."""
        if not isinstance(value, str):
            return None
        if value in self.declarations:
            return value
        from bot.core.language import fold

        key = fold(value)
        for declaration in self.declarations.values():
            if key in {fold(word) for word in (declaration.name, *declaration.synonyms)}:
                return declaration.id
        return None

    def unknown_service(self, value: object) -> str | None:
        """The catalog's own spelling of the service without declaration that an entity
        value names (its name or one of its words), or None: only words from our own lists
        are ever repeated to the citizen."""
        if not isinstance(value, str):
            return None
        from bot.core.language import fold

        key = fold(value)
        for service in self.municipality.services_without_declaration:
            for word in (service.name, *service.words):
                if fold(word) == key:
                    return word
        return None

    def sorted_by_name(self) -> list[Declaration]:
        return sorted(self.declarations.values(), key=lambda d: d.name.lower())


def _format_validation_error(path: Path, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(file)"
        problems.append(f"field '{field}': {item['msg']}")
    return f"{path}: " + "; ".join(problems)


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: expected a mapping at the top level")
    return raw


def load_declaration(path: Path) -> Declaration:
    raw = _read_yaml(path)
    try:
        declaration = Declaration.parse_obj(raw)
    except ValidationError as exc:
        raise CatalogError(_format_validation_error(path, exc)) from exc
    if declaration.id != path.stem:
        raise CatalogError(
            f"{path}: field 'id': '{declaration.id}' must equal the file name '{path.stem}'"
        )
    return declaration


def parse_declaration(name: str, text: str) -> Declaration:
    """A declaration from the text of its file `name` (`<id>.yml`), with the same rules
    as `load_declaration`; errors name the file and the field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"{name}: expected a mapping at the top level")
    try:
        declaration = Declaration.parse_obj(raw)
    except ValidationError as exc:
        raise CatalogError(_format_validation_error(Path(name), exc)) from exc
    stem = Path(name).stem
    if declaration.id != stem:
        raise CatalogError(
            f"{name}: field 'id': '{declaration.id}' must equal the file name '{stem}'"
        )
    return declaration


def read_documents(directory: Path) -> dict[str, str]:
    """The text of every declaration file in `directory`, by file name."""
    documents = {}
    for path in catalog_files(directory):
        try:
            documents[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{path}: cannot read file: {exc}") from exc
    return documents


def catalog_from_documents(
    documents: Mapping[str, str], municipality_file: Path = DEFAULT_MUNICIPALITY_FILE
) -> Catalog:
    """The catalog made of declaration texts (by file name), or CatalogError listing
    every problem, one line per file: never a half-made catalog."""
    if not documents:
        raise CatalogError("no declaration files (*.yml)")
    problems = []
    declarations = {}
    for name in sorted(documents):
        if not re.match(r"^[a-z][a-z0-9_]*\.yml$", name):
            problems.append(f"{name}: the file name must be the id followed by .yml")
            continue
        try:
            declaration = parse_declaration(name, documents[name])
        except CatalogError as exc:
            problems.append(str(exc))
            continue
        declarations[declaration.id] = declaration
    if problems:
        raise CatalogError("\n".join(problems))
    municipality = load_municipality(municipality_file)
    authorities = load_authorities(municipality_file.parent / DEFAULT_AUTHORITIES_FILE.name)
    _check_words_are_unambiguous(Path("."), declarations, municipality_file, municipality)
    return Catalog(declarations=declarations, municipality=municipality, authorities=authorities)


def load_municipality(path: Path = DEFAULT_MUNICIPALITY_FILE) -> Municipality:
    raw = _read_yaml(path)
    try:
        return Municipality.parse_obj(raw)
    except ValidationError as exc:
        raise CatalogError(_format_validation_error(path, exc)) from exc


def load_authorities(path: Path = DEFAULT_AUTHORITIES_FILE) -> tuple[Authority, ...]:
    """Other authorities, for questions that are not the municipality's (optional file)."""
    if not path.exists():
        return ()
    raw = _read_yaml(path)
    try:
        return tuple(_AuthoritiesFile.parse_obj(raw).authorities)
    except ValidationError as exc:
        raise CatalogError(_format_validation_error(path, exc)) from exc


def catalog_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if not p.name.startswith("."))


def load_catalog(
    directory: Path = DEFAULT_CATALOG_DIR,
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
) -> Catalog:
    """Load every file or raise CatalogError: never a half-loaded catalog."""
    files = catalog_files(directory)
    if not files:
        raise CatalogError(f"{directory}: no declaration files (*.yml) found")
    declarations = {}
    for path in files:
        declaration = load_declaration(path)
        declarations[declaration.id] = declaration
    municipality = load_municipality(municipality_file)
    authorities_file = municipality_file.parent / DEFAULT_AUTHORITIES_FILE.name
    authorities = load_authorities(authorities_file)
    _check_words_are_unambiguous(directory, declarations, municipality_file, municipality)
    return Catalog(declarations=declarations, municipality=municipality, authorities=authorities)


def _check_words_are_unambiguous(
    directory: Path,
    declarations: dict[str, Declaration],
    municipality_file: Path,
    municipality: Municipality,
) -> None:
    from bot.core.language import fold

    owner: dict[str, str] = {}
    for declaration in declarations.values():
        words = [
            *(("synonyms", w) for w in [declaration.name, *declaration.synonyms]),
            *(("implied_by", w) for w in declaration.implied_by),
        ]
        for field_name, word in words:
            key = fold(word)
            other = owner.setdefault(key, declaration.id)
            if other != declaration.id:
                raise CatalogError(
                    f"{directory / declaration.id}.yml: field '{field_name}': "
                    f"'{word}' is also a word for '{other}'"
                )
    for service in municipality.services_without_declaration:
        for word in service.words:
            key = fold(word)
            if key in owner:
                raise CatalogError(
                    f"{municipality_file}: field 'services_without_declaration': "
                    f"'{word}' is also a word for '{owner[key]}'"
                )


def _fingerprint(directory: Path, municipality_file: Path) -> tuple:
    authorities_file = municipality_file.parent / DEFAULT_AUTHORITIES_FILE.name
    paths = [*catalog_files(directory), municipality_file, authorities_file]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p.exists())


class ReviewedDates(Protocol):
    """Where the confirmed review dates live (the tracker database, outside the core)."""

    def version(self) -> Hashable:
        """Changes whenever a date is confirmed; cheap, asked once per check interval."""

    def dates(self) -> Mapping[str, date]:
        """The latest confirmed review date of each service that has one."""


class PublishedCatalog(Protocol):
    """Where the published declaration texts live (the tracker database, outside the
    core), instead of the folder."""

    def version(self) -> int | None:
        """The published version's number, or None when nothing is published yet (then
        the folder is read). Cheap: asked once per check interval."""

    def documents(self) -> Mapping[str, str]:
        """The published version's declaration texts, by file name."""


def with_reviewed_dates(catalog: Catalog, dates: Mapping[str, date]) -> Catalog:
    """The catalog with each confirmed date that is later than its file's `reviewed`: a
    confirmed date is exact (no longer approximate)."""
    declarations = dict(catalog.declarations)
    for service_id, day in dates.items():
        declaration = declarations.get(service_id)
        if declaration is not None and day > declaration.reviewed:
            declarations[service_id] = declaration.copy(
                update={"reviewed": day, "reviewed_approximate": False}
            )
    return replace(catalog, declarations=declarations)


class CatalogStore:
    """Holds the current catalog and reloads it when its files change (or, when it
    follows one, the confirmed review dates).

    A reload that fails validation keeps the previous catalog and logs the error, so a
    typo in a text file never takes a running bot down; so does a dates source that
    cannot be read (the database down): the dates already known stay.
    """

    def __init__(
        self,
        directory: Path = DEFAULT_CATALOG_DIR,
        municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
        check_interval: float = 1.0,
    ) -> None:
        self.directory = Path(directory)
        self.municipality_file = Path(municipality_file)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._files_catalog = load_catalog(self.directory, self.municipality_file)
        self._catalog = self._files_catalog
        # The folder as loaded at start: a published version with the same texts (the
        # seed) is this catalog, not parsed again (a parse takes about a second).
        self.folder_documents = read_documents(self.directory)
        self.folder_catalog = self._files_catalog
        self._fingerprint = _fingerprint(self.directory, self.municipality_file)
        self._checked_at = time.monotonic()
        self.last_error: str | None = None
        self._dates_source: ReviewedDates | None = None
        self._dates_version: Hashable = None
        self._dates: Mapping[str, date] = {}
        self._published: PublishedCatalog | None = None
        # The published version the catalog was made of (None: made of the folder).
        self.version: int | None = None

    def follow_published(self, source: PublishedCatalog) -> None:
        """Read the declarations from `source` once it has a published version (checked
        on the next `get`, then once per check interval), instead of the folder."""
        with self._lock:
            self._published = source
            self._checked_at = float("-inf")

    def _refresh_published(self) -> bool:
        """Load a newer published version; True when `source` has one (the folder is then
        not read)."""
        source = self._published
        if source is None:
            return False
        try:
            version = source.version()
            if version is None:
                return False
            if version == self.version:
                return True
            texts = source.documents()
            catalog = (
                self.folder_catalog
                if texts == self.folder_documents
                else catalog_from_documents(texts, self.municipality_file)
            )
        except CatalogError as exc:
            self.last_error = str(exc)
            logger.error("Published catalog not loaded, keeping the previous one: %s", exc)
            return True
        except Exception as exc:  # noqa: BLE001 - keep answering with what we have
            logger.warning("Published catalog not read, keeping the previous one: %s", exc)
            return self.version is not None
        with self._lock:
            self._files_catalog = catalog
            self._catalog = with_reviewed_dates(catalog, self._dates)
            self.version = version
            self.last_error = None
        logger.info("Published catalog version %d: %d services", version, len(catalog.declarations))
        return True

    def follow(self, source: ReviewedDates) -> None:
        """Overlay the confirmed review dates of `source`, read on the next `get`."""
        with self._lock:
            self._dates_source = source
            self._dates_version = None
            self._checked_at = float("-inf")

    def reload(self) -> Catalog:
        with self._lock:
            fingerprint = _fingerprint(self.directory, self.municipality_file)
            try:
                catalog = load_catalog(self.directory, self.municipality_file)
            except CatalogError as exc:
                self.last_error = str(exc)
                logger.error("Catalog not reloaded, keeping the previous one: %s", exc)
                self._fingerprint = fingerprint
                return self._catalog
            self._files_catalog = catalog
            self._catalog = with_reviewed_dates(catalog, self._dates)
            self._fingerprint = fingerprint
            self.last_error = None
            logger.info("Catalog reloaded: %d services", len(catalog.declarations))
            return self._catalog

    def _refresh_dates(self) -> None:
        source = self._dates_source
        if source is None:
            return
        try:
            version = source.version()
            if version == self._dates_version:
                return
            dates = dict(source.dates())
        except Exception as exc:  # noqa: BLE001 - keep answering with the dates we have
            logger.warning("Review dates not read, keeping the previous ones: %s", exc)
            return
        with self._lock:
            self._dates_version = version
            self._dates = dates
            self._catalog = with_reviewed_dates(self._files_catalog, dates)

    def get(self, check_now: bool = False) -> Catalog:
        """The current catalog; its files (and dates) are checked at most once per check
        interval, or now if `check_now`."""
        now = time.monotonic()
        if check_now or now - self._checked_at >= self.check_interval:
            self._checked_at = now
            if not self._refresh_published() and (
                _fingerprint(self.directory, self.municipality_file) != self._fingerprint
            ):
                self.reload()
            self._refresh_dates()
        return self._catalog


_default_store: CatalogStore | None = None
_default_store_lock = threading.Lock()


def default_store() -> CatalogStore:
    """The process-wide catalog, loaded on first use (CATALOG_DIR overrides the folder)."""
    global _default_store
    with _default_store_lock:
        if _default_store is None:
            directory = Path(os.environ.get("CATALOG_DIR") or DEFAULT_CATALOG_DIR)
            municipality = Path(os.environ.get("MUNICIPALITY_FILE") or DEFAULT_MUNICIPALITY_FILE)
            _default_store = CatalogStore(directory, municipality)
        return _default_store
