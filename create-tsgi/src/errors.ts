import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/**
 * create-tsgi's catalogue. Codes are stable (`CT_ERR_<WHAT>`) and never renamed;
 * callers branch on `code`. Every one is a usage error: the CLI prints the
 * one-line message and exits 2, having written nothing.
 */
export const CREATE_ERRORS = defineErrors({
  /** A flag create-tsgi does not know, a flag without its value, or two folders. */
  CT_ERR_USAGE: { text: '%s' },
  /** No target folder was given. */
  CT_ERR_TARGET_MISSING: { text: '%s' },
  /** The target folder exists and is not empty. */
  CT_ERR_TARGET_NOT_EMPTY: { text: '%s' },
  /** `--template` names no template. */
  CT_ERR_TEMPLATE_UNKNOWN: { text: '%s' },
  /** The project name is not at once an npm name, a DNS label and an image name. */
  CT_ERR_NAME_INVALID: { text: '%s' },
  /** `--tsgi-packages` is not a folder, lacks a package the template needs, or holds one twice. */
  CT_ERR_PACKAGES: { text: '%s' },
  /** The template files themselves are missing (a broken install of create-tsgi). */
  CT_ERR_TEMPLATE_FILES: { text: '%s' },
});

export type CreateErrorCode = CodeOf<typeof CREATE_ERRORS>;

/** The one error class create-tsgi throws; `message` is the whole line the CLI prints. */
export class CreateTsgiError<Code extends CreateErrorCode = CreateErrorCode> extends errorClass(CREATE_ERRORS)<Code> {}
