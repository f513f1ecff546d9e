"""Content errors: where an editor must look (file, line, field) and what is expected, in French."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentError:
    """One problem in one file, located for the editor who wrote it."""

    path: str  # as given, relative to the current directory when possible
    line: int  # 1-based
    field: str  # dotted path such as "brand.primary" or "welcomers[1].languages"; "" = the file
    message: str  # French

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ContentErrors(Exception):
    """Every error found in the territories' content, raised once after reading everything."""

    def __init__(self, errors: list[ContentError]):
        self.errors = list(errors)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        count = len(self.errors)
        noun = "erreur" if count == 1 else "erreurs"
        header = f"{count} {noun} dans le contenu des territoires :"
        return "\n".join([header, *(str(error) for error in self.errors)])
