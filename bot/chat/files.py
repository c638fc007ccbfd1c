"""Files both ways: documents a user sends (fetched with getFile and the file URL), and what
the bot uploads with sendDocument and sendPhoto (multipart parts, known file_ids or URLs,
up to 50 MB), kept in :attr:`FakeBotAPI.files` by file_id. A photo is held to Telegram's
rules: an image of at most 10 MB, width + height at most 10000, sides at most 20 : 1, and a
file_id of a photo (not of a document).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.chat.errors import NOT_FOUND_BODY, ApiError, JSONDict, bad_request

UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
PHOTO_SIDES = 10_000  # width + height at most
PHOTO_RATIO = 20  # the longer side at most 20 times the shorter


@dataclass
class UploadedFile:
    """A file the bot uploaded (multipart part), with its bytes."""

    filename: str
    data: bytes
    mime_type: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


def _document(file_id: str, upload: UploadedFile) -> JSONDict:
    """The Telegram Document of a stored file."""
    document = {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_name": upload.filename,
        "file_size": upload.size,
    }
    if upload.mime_type:
        document["mime_type"] = upload.mime_type
    return document


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None when unknown; raises for non-images."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith((b"\xff\xd8\xff", b"GIF8")) or data[8:12] == b"WEBP":
        return None
    raise bad_request("IMAGE_PROCESS_FAILED")


class FilesMixin:
    """The file methods of :class:`~bot.chat.api.FakeBotAPI` (its state is set up there)."""

    def send_document(
        self,
        filename: str,
        data: bytes,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        mime_type: str | None = None,
        caption: str | None = None,
        first_name: str = "Test",
        reply_to: int | None = None,
    ) -> dict:
        """The user sends a file; the bot can fetch it with getFile and the file URL."""
        file_id = f"document-user-{next(self._file_ids)}"
        self.files[file_id] = UploadedFile(filename, data, mime_type)
        content: JSONDict = {"document": _document(file_id, self.files[file_id])}
        if caption is not None:
            content["caption"] = caption
        message = self._user_message(
            user_id, language_code, first_name, None, reply_to=reply_to, **content
        )
        return self.add_update({"message": message})

    def send_photo(
        self,
        data: bytes,
        *,
        user_id: int = 1001,
        language_code: str | None = "en",
        caption: str | None = None,
        first_name: str = "Test",
        reply_to: int | None = None,
    ) -> dict:
        """The user sends a photo (an image: PNG, JPEG, GIF or WebP bytes)."""
        size = _image_size(data) or (320, 320)
        file_id = f"photo-user-{next(self._file_ids)}"
        self.files[file_id] = UploadedFile("photo.jpg", data, "image/jpeg")
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": size[0],
                "height": size[1],
                "file_size": len(data),
            }
        ]
        content: JSONDict = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        message = self._user_message(
            user_id, language_code, first_name, None, reply_to=reply_to, **content
        )
        return self.add_update({"message": message})

    def file_bytes(self, ref: str | dict) -> bytes:
        """Bytes of an uploaded file, by file_id or by a document/photo message."""
        if isinstance(ref, dict):
            if "document" in ref:
                ref = ref["document"]["file_id"]
            elif "photo" in ref:
                ref = ref["photo"][-1]["file_id"]
            else:
                raise ValueError("message has no document or photo")
        return self.files[ref].data

    def download(self, token: str, file_path: str) -> tuple[int, bytes]:
        """Serve a file by the ``file_path`` that getFile returned."""
        file_id = file_path.rsplit("/", 1)[-1]
        if token != self.token or file_id not in self.files:
            return 404, NOT_FOUND_BODY
        return 200, self.files[file_id].data

    def _store_file(self, upload: Any, kind: str) -> tuple[str, UploadedFile]:
        if isinstance(upload, UploadedFile):
            if upload.size > UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            file_id = f"{kind}-fake-{next(self._file_ids)}"
            self.files[file_id] = upload
            return file_id, upload
        if isinstance(upload, str) and upload in self.files:
            return upload, self.files[upload]
        if isinstance(upload, str) and upload.startswith(("http://", "https://")):
            name = urlsplit(upload).path.rsplit("/", 1)[-1] or "file"
            file_id = f"{kind}-fake-{next(self._file_ids)}"
            self.files[file_id] = UploadedFile(name, b"")
            return file_id, self.files[file_id]
        if upload is None:
            raise bad_request(f"there is no {kind} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = params.get("file_id")
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": self.files[file_id].size,
            "file_path": f"files/{file_id}",
        }

    def _send_document(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        file_id, upload = self._store_file(params.get("document"), "document")
        document = _document(file_id, upload)
        return self._add_bot_message(chat_id, params, document=document, **self._caption(params))

    def _send_photo(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        photo = params.get("photo")
        if isinstance(photo, str) and photo.startswith("document-"):
            raise bad_request("can't use file of type Document as Photo")
        if isinstance(photo, UploadedFile) and photo.size > PHOTO_LIMIT:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        size = _image_size(photo.data) if isinstance(photo, UploadedFile) else None
        if size is not None:
            width, height = size
            if not width or not height:
                raise bad_request("IMAGE_PROCESS_FAILED")
            if width + height > PHOTO_SIDES or max(width, height) > PHOTO_RATIO * min(
                width, height
            ):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
        file_id, upload = self._store_file(photo, "photo")
        size = _image_size(upload.data) if upload.data else None
        width, height = size or (320, 320)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": width,
                "height": height,
                "file_size": upload.size,
            }
        ]
        return self._add_bot_message(chat_id, params, photo=photo, **self._caption(params))
