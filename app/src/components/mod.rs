pub mod enhance;
pub mod form;
pub mod load;
pub mod raw_text;
pub mod session;
pub mod shell;
pub mod time;
pub mod video;
