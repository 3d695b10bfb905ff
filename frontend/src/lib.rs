//! The browser entry point. Pages are server HTML; this starts the reactive runtime, and the
//! page's loader then hydrates each island it finds (see `app::island_loader`).
use wasm_bindgen::prelude::wasm_bindgen;

// Keeps every island's export in this crate's wasm: without a use of the app crate the
// linker may drop them (leptos book, islands; leptos issue #2083).
#[allow(unused_imports)]
use app::*;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
