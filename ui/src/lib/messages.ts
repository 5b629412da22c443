// The i18n catalog: every string the UI shows, one file per language (`messages.en.ts` defines
// the keys; `messages.es.ts` must have exactly the same ones: the type checker enforces it, and a
// test checks that both carry the same {placeholders}).

import { en, type MessageKey } from "./messages.en";
import { es } from "./messages.es";

export { en, es, type MessageKey };

export const catalogs = { en, es } as const;
