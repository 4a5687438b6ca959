//! `xmonitors NAME=WxH+X+Y ...`: creates RandR monitors on $DISPLAY (for running the app under Xvfb).

fn main() -> anyhow::Result<()> {
    let display = std::env::var("DISPLAY").map_err(|_| anyhow::anyhow!("DISPLAY is not set"))?;
    let mut mons = Vec::new();
    for arg in std::env::args().skip(1) {
        let (name, geo) = arg
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("{arg}: expected NAME=WxH+X+Y"))?;
        let (size, pos) = geo
            .split_once('+')
            .ok_or_else(|| anyhow::anyhow!("{arg}: expected WxH+X+Y"))?;
        let (w, h) = size
            .split_once('x')
            .ok_or_else(|| anyhow::anyhow!("{arg}: expected WxH"))?;
        let (x, y) = pos
            .split_once('+')
            .ok_or_else(|| anyhow::anyhow!("{arg}: expected +X+Y"))?;
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        mons.push(courtdeck_testkit::Mon {
            name,
            x: x.parse()?,
            y: y.parse()?,
            w: w.parse()?,
            h: h.parse()?,
        });
    }
    courtdeck_testkit::set_monitors(&display, &mons)
}
