#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    latchkey_fuzz::onepux::run_export_data(data);
});
