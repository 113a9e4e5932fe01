//! What Telegram's apps need to know about a video before they can show it, read from the
//! MP4 itself (ISO base media boxes, nothing decoded): its duration (`moov/mvhd`), its
//! picture size as shown (the first track of `moov/trak/tkhd` with one, turned by its
//! matrix) and whether it can be played
//! while it downloads (its index, `moov`, before the media data, `mdat`). Telegram does not probe a
//! user's upload; without these a video shows as 0:00 and 0 × 0. Pure, and forgiving: a file
//! that is not an MP4, or a box that does not add up, gives nothing rather than an error.

/// A video's duration and picture size, as `documentAttributeVideo` carries them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VideoInfo {
    /// Seconds.
    pub duration: f64,
    pub width: i32,
    pub height: i32,
    /// Playable while it downloads: `moov` comes before `mdat` ("fast start").
    pub streams: bool,
}

/// The boxes of `data`, in order: (type, content).
fn boxes(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        let header = data.get(..8)?;
        let size = u32::from_be_bytes(header[..4].try_into().ok()?) as u64;
        let kind: [u8; 4] = header[4..8].try_into().ok()?;
        let (start, size) = match size {
            // Up to the end of the enclosing data.
            0 => (8, data.len() as u64),
            // A 64-bit size follows the type.
            1 => (16, u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)),
            size => (8, size),
        };
        let end = usize::try_from(size)
            .ok()
            .filter(|&e| e >= start && e <= data.len())?;
        let content = &data[start..end];
        data = &data[end..];
        Some((kind, content))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, c)| c)
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// `mvhd`: the movie's duration in seconds.
fn duration(mvhd: &[u8]) -> Option<f64> {
    let (timescale, duration) = match mvhd.first()? {
        0 => (u32_at(mvhd, 12)?, u64::from(u32_at(mvhd, 16)?)),
        1 => (u32_at(mvhd, 20)?, u64_at(mvhd, 24)?),
        _ => return None,
    };
    (timescale > 0).then(|| duration as f64 / f64::from(timescale))
}

/// `tkhd`: the track's picture size as shown (16.16 fixed point, whole pixels kept): width
/// and height swapped when its matrix turns it a quarter (a phone's portrait video is stored
/// landscape with a rotation).
fn size(tkhd: &[u8]) -> Option<(i32, i32)> {
    // version+flags, then the times, ids and duration by version, then reserved (8), layer,
    // alternate group, volume, reserved (2 each) and the matrix (36).
    let at = match tkhd.first()? {
        0 => 4 + 20,
        1 => 4 + 32,
        _ => return None,
    } + 8
        + 8
        + 36;
    let width = i32::try_from(u32_at(tkhd, at)? >> 16).ok()?;
    let height = i32::try_from(u32_at(tkhd, at + 4)? >> 16).ok()?;
    // The matrix { a b u, c d v, x y w }: a quarter turn has a = d = 0.
    let matrix = at - 36;
    let (a, b, d) = (
        u32_at(tkhd, matrix)?,
        u32_at(tkhd, matrix + 4)?,
        u32_at(tkhd, matrix + 16)?,
    );
    Some(match (a, d) {
        (0, 0) if b != 0 => (height, width),
        _ => (width, height),
    })
}

/// The video's duration and picture size; `None` when the file is not an MP4 that says.
pub fn video_info(file: &[u8]) -> Option<VideoInfo> {
    let moov = child(file, b"moov")?;
    let duration = duration(child(moov, b"mvhd")?)?;
    let (width, height) = boxes(moov)
        .filter(|(k, _)| k == b"trak")
        .filter_map(|(_, trak)| size(child(trak, b"tkhd")?))
        .find(|&(w, h)| w > 0 && h > 0)?;
    let streams = boxes(file)
        .map(|(kind, _)| kind)
        .find(|kind| kind == b"moov" || kind == b"mdat")
        .is_some_and(|kind| &kind == b"moov");
    Some(VideoInfo {
        duration,
        width,
        height,
        streams,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut b = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(content);
        b
    }

    fn mvhd_v0(timescale: u32, duration: u32) -> Vec<u8> {
        let mut c = vec![0, 0, 0, 0];
        c.extend([0; 8]); // creation, modification
        c.extend(timescale.to_be_bytes());
        c.extend(duration.to_be_bytes());
        c.extend([0; 80]); // rate, volume, reserved, matrix, pre-defined, next track id
        mp4_box(b"mvhd", &c)
    }

    fn tkhd(version: u8, width: u32, height: u32) -> Vec<u8> {
        tkhd_turned(version, width, height, false)
    }

    /// A track header whose matrix is the identity, or a quarter turn (90°).
    fn tkhd_turned(version: u8, width: u32, height: u32, turned: bool) -> Vec<u8> {
        let one = 0x0001_0000u32;
        let matrix = match turned {
            false => [one, 0, 0, 0, one, 0, 0, 0, 0x4000_0000],
            true => [0, one, 0, one.wrapping_neg(), 0, 0, 0, 0, 0x4000_0000],
        };
        let mut c = vec![version, 0, 0, 7];
        c.extend(vec![0; if version == 0 { 20 } else { 32 }]);
        c.extend([0; 8 + 8]);
        for v in matrix {
            c.extend(v.to_be_bytes());
        }
        c.extend((width << 16).to_be_bytes());
        c.extend((height << 16).to_be_bytes());
        mp4_box(b"tkhd", &c)
    }

    /// A minimal MP4: ftyp, moov (mvhd, an audio track, a video track), mdat.
    fn mp4(seconds: u32, width: u32, height: u32) -> Vec<u8> {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
        file.extend(moov(seconds, width, height));
        file.extend(mp4_box(b"mdat", &[9; 64]));
        file
    }

    fn moov(seconds: u32, width: u32, height: u32) -> Vec<u8> {
        let mut moov = mvhd_v0(1000, seconds * 1000 + 500);
        moov.extend(mp4_box(b"trak", &tkhd(0, 0, 0)));
        moov.extend(mp4_box(b"trak", &tkhd(1, width, height)));
        mp4_box(b"moov", &moov)
    }

    #[test]
    fn an_mp4_says_its_duration_and_the_picture_size_of_its_video_track() {
        assert_eq!(
            video_info(&mp4(12, 1280, 720)),
            Some(VideoInfo {
                duration: 12.5,
                width: 1280,
                height: 720,
                streams: true,
            })
        );
    }

    #[test]
    fn a_video_turned_a_quarter_is_as_tall_as_it_is_shown() {
        let mut moov = mvhd_v0(1000, 4000);
        moov.extend(mp4_box(b"trak", &tkhd_turned(0, 1920, 1080, true)));
        let file = mp4_box(b"moov", &moov);
        let info = video_info(&file).expect("an MP4");
        assert_eq!((info.width, info.height), (1080, 1920));
        let mut upright = mvhd_v0(1000, 4000);
        upright.extend(mp4_box(b"trak", &tkhd_turned(1, 1920, 1080, false)));
        let info = video_info(&mp4_box(b"moov", &upright)).expect("an MP4");
        assert_eq!((info.width, info.height), (1920, 1080));
    }

    #[test]
    fn an_mp4_with_its_index_after_the_media_does_not_stream() {
        let mut file = mp4_box(b"ftyp", b"isom");
        file.extend(mp4_box(b"mdat", &[9; 64]));
        file.extend(moov(2, 320, 240));
        let info = video_info(&file).expect("an MP4");
        assert!(!info.streams);
        assert_eq!((info.width, info.height), (320, 240));
    }

    #[test]
    fn a_64_bit_box_size_and_a_version_1_header_are_read() {
        let mut c = vec![1, 0, 0, 0];
        c.extend([0; 16]);
        c.extend(600u32.to_be_bytes());
        c.extend(1_800u64.to_be_bytes());
        let mvhd = mp4_box(b"mvhd", &c);
        let mut moov = mvhd;
        moov.extend(mp4_box(b"trak", &tkhd(0, 640, 360)));
        let mut big = 1u32.to_be_bytes().to_vec();
        big.extend(b"moov");
        big.extend(((moov.len() + 16) as u64).to_be_bytes());
        big.extend(moov);
        assert_eq!(
            video_info(&big),
            Some(VideoInfo {
                duration: 3.0,
                width: 640,
                height: 360,
                streams: true,
            })
        );
    }

    #[test]
    fn anything_that_is_not_an_mp4_that_says_gives_nothing() {
        let whole = mp4(3, 320, 240);
        let cases: [&[u8]; 5] = [
            b"",
            b"GIF89a......",
            &whole[..whole.len() / 2],
            // A box claiming more than there is.
            &[0, 0, 1, 0, b'm', b'o', b'o', b'v', 0, 0],
            // A box shorter than its own header.
            &[0, 0, 0, 4, b'm', b'o', b'o', b'v'],
        ];
        for bytes in cases {
            assert_eq!(video_info(bytes), None, "{bytes:?}");
        }
        let no_picture = {
            let mut moov = mvhd_v0(1000, 1000);
            moov.extend(mp4_box(b"trak", &tkhd(0, 0, 0)));
            mp4_box(b"moov", &moov)
        };
        assert_eq!(video_info(&no_picture), None, "sound only");
        let no_timescale = mp4_box(b"moov", &mvhd_v0(0, 1000));
        assert_eq!(video_info(&no_timescale), None);
    }
}
