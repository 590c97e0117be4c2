; Inno Setup 6 script: the Windows installer for CountyDataSync.
;
; Build the bundle first (on Windows, see packaging/README.md), then from the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\CountyDataSync.iss
; which writes dist\CountyDataSync-0.1.0-setup.exe.
;
; It installs per user by default (no administrator rights needed, into
; %LOCALAPPDATA%\Programs\CountyDataSync); IT can install for every user into
; Program Files with:   CountyDataSync-0.1.0-setup.exe /ALLUSERS /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Uninstalling removes the program only: the clerk's data folder
; (%LOCALAPPDATA%\CountyDataSync), settings (%APPDATA%\CountyDataSync) and the
; password in Windows Credential Manager stay.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "CountyDataSync"
#define GuiExe "countydatasync-gui.exe"
#define Bundle "..\..\dist\CountyDataSync"

[Setup]
; Never change AppId: Windows uses it to recognise an update of the same program.
AppId={{C5D2A08D-B0A6-4304-A4E1-2271C966BB8A}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\countydatasync.ico
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running copy before replacing its files.
CloseApplications=yes
; Sign the installer and its uninstaller (configure "signtool" in the Inno Setup IDE or with iscc /S):
; SignTool=signtool sign /fd SHA256 /td SHA256 /tr <your CA's RFC 3161 time-stamp URL> /f <certificate.pfx> /p <password> $f
; SignedUninstaller=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A new version replaces the whole program folder: no library of an older build may linger.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The one-folder bundle: both programs and the _internal folder they share.
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Comment: "Sync the county's parcel records, with review before commit"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
