#!/bin/sh
# Adds Talking Portrait Studio to this user's application menu: the .desktop entry (pointing at
# this folder's executable) and the icon set go under ~/.local/share. Run it again after moving
# the folder; remove with: rm ~/.local/share/applications/talking-portrait-studio.desktop
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/icons"
cp -R "$here/icons/hicolor" "$data/icons/"
sed -e "s|^Exec=TalkingPortraitStudio|Exec=\"$here/TalkingPortraitStudio\"|" \
    -e "s|^TryExec=TalkingPortraitStudio|TryExec=$here/TalkingPortraitStudio|" \
    "$here/talking-portrait-studio.desktop" > "$data/applications/talking-portrait-studio.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed $data/applications/talking-portrait-studio.desktop"
