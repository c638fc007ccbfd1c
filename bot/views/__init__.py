"""Texts and keyboards composed from data and a Translator, one module per feature: pure
functions, no I/O. `common` holds what they share (escaping, buttons, names and labels);
`settlement`, `districts`, `caravans`, `menu`, `subscriptions` what users browse;
`notices` what subscribers receive; `admin` and `broadcast` what admins see; `calendar`,
`poster` and `split` make .ics files, QR posters and message-sized parts; `callbacks`
names the callback-data prefixes."""
